// Inventory files through the real CLI: validate, import, export round trip, Ansible inventories, -i.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli, runOk, tempHome } from '../helpers/cli.js';

const example = path.join(repoRoot, 'inventory', 'example.yml');
const ansibleIni = path.join(repoRoot, 'inventory', 'ansible-example.ini');

function stateWithoutTimes(home: string): unknown {
  const state = JSON.parse(readFileSync(path.join(home, 'db.json'), 'utf8')) as Record<string, unknown>;
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([k]) => k !== 'create_at' && k !== 'update_at').map(([k, x]) => [k, strip(x)]));
    return v;
  };
  const s = strip(state) as Record<string, unknown>;
  delete s.users;
  delete s.role_user_cluster;
  return s;
}

describe('inventory files', () => {
  it('validates the example inventories', async () => {
    const r = await runOk(['inventory', 'validate', example, '--json'], {});
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, format: 'promanager', clusters: 2, hosts: 5 });
    const a = await runOk(['inventory', 'validate', ansibleIni], {});
    expect(a.stderr).toContain('valid ansible-ini inventory');
  });

  it('imports, exports, and imports the export back to the same state', async () => {
    const home = tempHome();
    const imported = JSON.parse((await runOk(['inventory', 'import', example, '--json'], { home })).stdout) as { hosts_added: string[] };
    expect(imported.hosts_added).toHaveLength(5);
    const hosts = JSON.parse((await runOk(['host', 'list', '--json', '-l', 'env=prod,gpu'], { home })).stdout) as Array<{ name: string; ssh: unknown; labels: unknown }>;
    expect(hosts.map((h) => h.name)).toEqual(['node-7']);
    expect(hosts[0]!.labels).toEqual({ env: 'prod', region: 'bj', role: 'node', zone: 'b', gpu: '' });
    expect(hosts[0]!.ssh).toEqual({ user: 'ops', port: 22, key: '~/.ssh/id_ed25519', become: true });
    const exported = (await runOk(['inventory', 'export'], { home })).stdout;
    const file = path.join(home, 'exported.yml');
    writeFileSync(file, exported);
    const home2 = tempHome();
    await runOk(['inventory', 'import', file], { home: home2 });
    expect(stateWithoutTimes(home2)).toEqual(stateWithoutTimes(home));
    // importing the same file again changes nothing
    const again = JSON.parse((await runOk(['inventory', 'import', file, '--json'], { home: home2 })).stdout) as Record<string, string[]>;
    expect([again.hosts_added, again.hosts_updated, again.hosts_removed]).toEqual([[], [], []]);
  });

  it('imports an Ansible INI inventory with groups as bare labels and ranges expanded', async () => {
    const home = tempHome();
    await runOk(['inventory', 'import', ansibleIni, '--cluster', 'legacy'], { home });
    const hosts = JSON.parse((await runOk(['host', 'list', '--json', '-c', 'legacy'], { home })).stdout) as Array<{ name: string; ip: string; labels: Record<string, string>; ssh: Record<string, unknown> }>;
    expect(hosts.map((h) => h.name)).toEqual(expect.arrayContaining(['web01.example.com', 'web04.example.com', 'web05.example.com', 'db-a']));
    const web05 = hosts.find((h) => h.name === 'web05.example.com')!;
    expect(web05).toMatchObject({ ip: '10.0.2.15', ssh: { port: 2222, user: 'deploy' } });
    expect(web05.labels).toMatchObject({ web: '', frontend: '', prod: '' });
    expect(hosts.find((h) => h.name === 'db-a')!.ssh).toMatchObject({ user: 'postgres', become: true });
    const web = JSON.parse((await runOk(['host', 'list', '--json', '-l', 'frontend'], { home })).stdout) as unknown[];
    expect(web).toHaveLength(5);
  });

  it('uses -i FILE as the source of hosts for one command, and refuses to change the state through it', async () => {
    const home = tempHome();
    await runOk(['cluster', 'add', 'other'], { home });
    await runOk(['host', 'add', '10.9.9.9', '-c', 'other'], { home });
    const viaFile = JSON.parse((await runOk(['-i', example, 'host', 'list', '--json'], { home })).stdout) as Array<{ name: string }>;
    expect(viaFile.map((h) => h.name)).toEqual(['prom-1', 'alert-1', 'node-7', 'prom-stg-1', 'node-stg-1']);
    const viaEnv = JSON.parse((await runOk(['label', 'list', '--json'], { home, env: { PROMANAGER_INVENTORY: example } })).stdout) as Array<{ cluster_name: string }>;
    expect(new Set(viaEnv.map((l) => l.cluster_name))).toEqual(new Set(['prod-bj', 'staging-sh']));
    const refused = await runCli(['-i', example, 'host', 'add', '10.1.1.1', '-c', 'prod-bj'], { home });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('edit the inventory file instead');
    const own = JSON.parse((await runOk(['host', 'list', '--json'], { home })).stdout) as Array<{ name: string }>;
    expect(own.map((h) => h.name)).toEqual(['10.9.9.9']);
  });

  it('reports bad inventories with file:line:col, did-you-mean, and changes nothing', async () => {
    const home = tempHome();
    await runOk(['cluster', 'add', 'keep'], { home });
    const before = readFileSync(path.join(home, 'db.json'), 'utf8');
    const bad = path.join(home, 'bad.yml');
    writeFileSync(bad, ['clusters:', '  c1:', '    lables: { a: b }', '    hosts:', '      - { name: x, ip: 10.0.0.1 }', '  c2:', '    hosts:', '      - { name: y, ip: 10.0.0.1 }', '      - { name: z, ip: 10.0.0.999 }', ''].join('\n'));
    const r = await runCli(['inventory', 'import', bad], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:3:5`);
    expect(r.stderr).toContain("did you mean 'labels'");
    expect(r.stderr).toMatch(/10\.0\.0\.1/);
    expect(r.stderr).toContain(`${bad}:9:`);
    const syntax = path.join(home, 'syntax.yml');
    writeFileSync(syntax, 'clusters:\n  c1:\n    hosts: [ {name: x\n');
    const s = await runCli(['inventory', 'validate', syntax], { home });
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(new RegExp(`${syntax.replace(/[/.]/g, '\\$&')}:\\d+:\\d+`));
    const ini = path.join(home, 'bad.ini');
    writeFileSync(ini, '[web\nhost1\n');
    const i = await runCli(['inventory', 'validate', ini], { home });
    expect(i.code).toBe(1);
    expect(i.stderr).toContain(`${ini}:1:`);
    expect(readFileSync(path.join(home, 'db.json'), 'utf8')).toBe(before);
    const missing = await runCli(['inventory', 'import', path.join(home, 'nope.yml')], { home });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.yml');
  });
});
