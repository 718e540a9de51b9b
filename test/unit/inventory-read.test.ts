import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import { FileProblemError, PromanagerError, UsageError } from '../../src/core/errors.js';
import { clusterNameFromPath, detectFormat, readInventoryFile, readInventoryText } from '../../src/inventory/read.js';

const scratchDirs: string[] = [];

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'promanager-inventory-'));
  scratchDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

describe('detectFormat', () => {
  it.each([
    ['clusters:\n  c: {}\n', 'inv.yml', 'promanager'],
    ['# comment\ndefaults:\n  vars: {}\n', 'inv', 'promanager'],
    ['all:\n  hosts:\n    h1:\n', 'hosts.yml', 'ansible-yaml'],
    ['web:\n  hosts:\n    h1:\n', 'hosts.yaml', 'ansible-yaml'],
    ['prod:\n  children:\n    web:\n', 'inventory', 'ansible-yaml'],
    ['# comment\n; comment\n[web]\nh1\n', 'hosts', 'ansible-ini'],
    ['[web]\nh1\n', 'inv.yml', 'ansible-ini'],
    ['clusters:\n  c: {}\n', 'hosts.ini', 'ansible-ini'],
    ['h1\n', 'legacy.cfg', 'ansible-ini'],
    ['h1 ansible_port=22\nh2\n', 'hosts', 'ansible-ini'],
    ['', 'hosts', 'ansible-ini'],
    ['', 'inv.yml', 'promanager'],
    ['clustres:\n  c: {}\n', 'inv.yml', 'promanager'],
    ['clusters:\n  c: [\n', 'inv', 'promanager'],
    ['all:\n  hosts: {\n', 'inv', 'ansible-yaml'],
    ['h1 x="a: b"\n', 'hosts', 'ansible-ini'],
  ])('reads %j named %s as %s', (text, path, format) => {
    expect(detectFormat(text, path)).toBe(format);
  });
});

describe('clusterNameFromPath', () => {
  it('names the cluster after the file, or its directory when the file name is generic', () => {
    expect(clusterNameFromPath('/etc/ansible/legacy.ini')).toBe('legacy');
    expect(clusterNameFromPath('inventories/production/hosts')).toBe('production');
    expect(clusterNameFromPath('inventories/staging/hosts.yml')).toBe('staging');
    expect(clusterNameFromPath('/tmp/my inventory!.ini')).toBe('my-inventory-');
    expect(clusterNameFromPath('/tmp/---.ini')).toBe('ansible');
  });
});

describe('readInventoryFile', () => {
  it('reads each example inventory without problems', async () => {
    const promanager = await readInventoryFile('inventory/example.yml', {});
    expect(promanager.format).toBe('promanager');
    expect(promanager.clusters.map((c) => [c.name, c.hosts.length])).toEqual([
      ['prod-bj', 3],
      ['staging-sh', 2],
    ]);

    const ini = await readInventoryFile('inventory/ansible-example.ini', {});
    const yaml = await readInventoryFile('inventory/ansible-example.yml', {});
    expect(ini.format).toBe('ansible-ini');
    expect(yaml.format).toBe('ansible-yaml');
    for (const inv of [ini, yaml]) {
      expect(inv.clusters.map((c) => c.name)).toEqual(['ansible-example']);
      expect(inv.clusters[0]?.hosts).toHaveLength(8);
      expect(inv.defaults.ssh).toEqual({ user: 'deploy', key: '~/.ssh/id_ed25519' });
    }
  });

  it('reads the Ansible examples, INI and YAML, to the same inventory', async () => {
    const content = async (path: string): Promise<unknown> => {
      const { defaults, clusters } = await readInventoryFile(path, { cluster: 'x' });
      return { defaults, hosts: clusters[0]?.hosts.map(({ pos: _pos, ...host }) => host) };
    };
    expect(await content('inventory/ansible-example.ini')).toEqual(await content('inventory/ansible-example.yml'));
  });

  it('names the cluster of an Ansible inventory as asked', async () => {
    const inv = await readInventoryFile('inventory/ansible-example.ini', { cluster: 'legacy-dc1' });
    expect(inv.clusters.map((c) => c.name)).toEqual(['legacy-dc1']);
  });

  it('refuses a cluster name that could not be used', async () => {
    await expect(readInventoryFile('inventory/ansible-example.ini', { cluster: 'bad name' })).rejects.toBeInstanceOf(UsageError);
  });

  it('names a missing file', async () => {
    const path = join(scratchDir(), 'nope.yml');
    const error: unknown = await readInventoryFile(path, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PromanagerError);
    expect((error as PromanagerError).message).toBe(`inventory file ${path} does not exist`);
    expect((error as PromanagerError).hint).toMatch(/-i/);
    expect((error as PromanagerError).exitCode).toBe(1);
  });

  it('names a directory given instead of a file', async () => {
    const dir = scratchDir();
    mkdirSync(join(dir, 'inv.yml'));
    await expect(readInventoryFile(join(dir, 'inv.yml'), {})).rejects.toThrow(`inventory ${join(dir, 'inv.yml')} is a directory, not a file`);
  });

  it('reports problems with the path as given, line and column', async () => {
    const path = join(scratchDir(), 'inv.yml');
    writeFileSync(path, '\uFEFFclusters:\n  prod:\n    lables: {}\n');
    const error: unknown = await readInventoryFile(path, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileProblemError);
    expect((error as FileProblemError).problems).toEqual([
      { file: path, line: 3, col: 5, path: 'clusters.prod.lables', message: "unknown key 'lables'; did you mean 'labels'?" },
    ]);
  });
});

describe('readInventoryText', () => {
  it('hands each format to its reader', () => {
    expect(readInventoryText('clusters:\n  c:\n    hosts: [{ ip: 10.0.0.1 }]\n', 'a.yml').format).toBe('promanager');
    expect(readInventoryText('[web]\n10.0.0.1\n', 'hosts').format).toBe('ansible-ini');
    expect(readInventoryText('all:\n  hosts:\n    10.0.0.1:\n', 'hosts.yml').format).toBe('ansible-yaml');
  });
});
