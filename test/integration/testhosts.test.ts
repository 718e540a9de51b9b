import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunTestHosts, startFleet, startHangListener, testHostsUnavailableReason, testIp, testDir } from '../fixtures/testhosts.js';
import type { TestFleet, TestHost } from '../fixtures/testhosts.js';

const DIR = testDir('pm-testhosts-selftest');
const reason = testHostsUnavailableReason();
const title = canRunTestHosts() ? 'test hosts fixture' : `test hosts fixture (skipped: ${reason})`;

interface Res {
  stdout: string;
  stderr: string;
  code: number;
}

function run(file: string, args: string[], input?: string): Promise<Res> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const c = (err as { code?: unknown } | null)?.code;
      resolve({ stdout, stderr, code: err ? (typeof c === 'number' ? c : 1) : 0 });
    });
    child.stdin?.end(input ?? '');
  });
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** PIDs (outside view) of live processes whose root is inside the fixture dir. */
function processesRootedUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (/^\S+ \(.*\) [ZX]/.test(stat)) continue;
      const root = readlinkSync(`/proc/${e}/root`);
      if (root.startsWith(`${dir}/`)) pids.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe.skipIf(!canRunTestHosts())(title, () => {
  let fleet: TestFleet;
  let h1: TestHost, h2: TestHost, h3: TestHost;

  const ssh = (host: TestHost, cmd: string, opts: { user?: string; knownHosts?: string; input?: string } = {}): Promise<Res> =>
    run(
      'ssh',
      [
        '-F', '/dev/null',
        '-i', fleet.keyFile,
        '-o', 'IdentitiesOnly=yes',
        '-o', `UserKnownHostsFile=${opts.knownHosts ?? fleet.knownHostsFile}`,
        '-o', 'GlobalKnownHostsFile=/dev/null',
        '-o', 'StrictHostKeyChecking=yes',
        '-o', 'BatchMode=yes',
        '-o', 'ConnectTimeout=5',
        '-p', String(host.port),
        `${opts.user ?? 'root'}@${host.ip}`,
        cmd,
      ],
      opts.input,
    );

  beforeAll(async () => {
    fleet = await startFleet(
      [
        { name: 'th-plain', cron: true },
        { name: 'th-ops', user: 'ops', sudo: 'nopasswd' },
        { name: 'th-pw', user: 'pw', sudo: { password: 'secret' }, noNode: true },
      ],
      { dir: DIR, firstIp: 10 },
    );
    [h1, h2, h3] = fleet.hosts as [TestHost, TestHost, TestHost];
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('gives every host its own address, hostname and ssh login', async () => {
    expect(fleet.hosts.map((h) => h.ip)).toEqual([testIp(10), testIp(11), testIp(12)]);
    for (const h of fleet.hosts) {
      const r = await ssh(h, 'hostname');
      expect(r, r.stderr).toMatchObject({ code: 0 });
      expect(r.stdout.trim()).toBe(h.name);
    }
    const ops = await ssh(h2, 'id -un', { user: 'ops' });
    expect(ops.stdout.trim()).toBe('ops');
    const pw = await ssh(h3, 'id -un', { user: 'pw' });
    expect(pw.stdout.trim()).toBe('pw');
  });

  it('isolates file systems between hosts and from the real machine', async () => {
    const marker = `/root/pm-marker-${process.pid}`;
    expect((await ssh(h1, `echo hello > ${marker} && echo tmp > /tmp/pm-marker`)).code).toBe(0);
    expect((await ssh(h1, `cat ${marker}`)).stdout.trim()).toBe('hello');
    expect((await ssh(h2, `test -e ${marker}`)).code).not.toBe(0);
    expect((await ssh(h3, 'test -e /tmp/pm-marker')).code).not.toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync('/tmp/pm-marker')).toBe(false);
    // The host's / is visible from outside, and writes there show up inside.
    expect(readFileSync(join(h1.root, marker), 'utf8').trim()).toBe('hello');
    await writeFile(join(h2.root, 'root/from-outside'), 'outside\n');
    expect((await ssh(h2, 'cat /root/from-outside')).stdout.trim()).toBe('outside');
    expect((await fleet.exec(h1.name, 'cat /tmp/pm-marker')).stdout.trim()).toBe('tmp');
  });

  it('gives every host a distinct host key (as served by sshd)', async () => {
    const keys = await Promise.all(
      fleet.hosts.map(async (h) => {
        const r = await run('ssh-keyscan', ['-T', '5', '-t', 'ed25519', h.ip]);
        return r.stdout.trim().split(/\s+/)[2];
      }),
    );
    expect(keys.every((k) => typeof k === 'string' && k.length > 40)).toBe(true);
    expect(new Set(keys).size).toBe(3);
    const real = existsSync('/etc/ssh/ssh_host_ed25519_key.pub') ? readFileSync('/etc/ssh/ssh_host_ed25519_key.pub', 'utf8').split(/\s+/)[1] : undefined;
    expect(keys).not.toContain(real);
  });

  it('configures sudo: nopasswd for ops, password for pw', async () => {
    expect((await ssh(h2, 'sudo -n true', { user: 'ops' })).code).toBe(0);
    expect((await ssh(h2, 'sudo -n id -u', { user: 'ops' })).stdout.trim()).toBe('0');
    const noPw = await ssh(h3, 'sudo -n true', { user: 'pw' });
    expect(noPw.code).not.toBe(0);
    expect(noPw.stderr).toMatch(/password is required/);
    const withPw = await ssh(h3, 'echo secret | sudo -S -p "" id -u', { user: 'pw' });
    expect(withPw, withPw.stderr).toMatchObject({ code: 0 });
    expect(withPw.stdout.trim()).toBe('0');
    const wrongPw = await ssh(h3, 'echo wrong | sudo -S -p "" true', { user: 'pw' });
    expect(wrongPw.code).not.toBe(0);
  });

  it('hides node on the noNode host only', async () => {
    expect((await ssh(h1, 'command -v node')).code).toBe(0);
    expect((await ssh(h2, 'command -v node', { user: 'ops' })).code).toBe(0);
    expect((await ssh(h3, 'command -v node')).code).not.toBe(0);
    expect((await ssh(h3, 'command -v node', { user: 'pw' })).code).not.toBe(0);
  });

  it('runs every host in its own pid namespace (and cron where asked)', async () => {
    expect((await fleet.exec(h2.name, 'setsid sleep 600 </dev/null >/dev/null 2>&1 &')).code).toBe(0);
    const ps1 = await ssh(h1, 'ps -e -o pid=,comm=');
    const ps2 = await ssh(h2, 'ps -e -o pid=,comm=');
    const comms = (s: string) => s.trim().split('\n').map((l) => l.trim().split(/\s+/)[1]);
    expect(comms(ps1.stdout)).not.toContain('sleep');
    expect(comms(ps2.stdout)).toContain('sleep');
    expect(comms(ps1.stdout)).not.toContain('node'); // vitest itself is outside
    expect(comms(ps1.stdout)).toContain('cron');
    expect(comms(ps2.stdout)).not.toContain('cron');
    expect(ps1.stdout.trim().split('\n').length).toBeLessThan(20);
    expect(ps1.stdout).toMatch(/^\s*1\s+bash$/m);
  });

  it('rekey makes the old known_hosts entry fail with a host-key-changed error', async () => {
    await fleet.rekey(h3.name);
    const r = await ssh(h3, 'true');
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
    const fresh = join(fleet.keyFile, '..', 'known_hosts.new');
    await writeFile(fresh, await fleet.knownHostLines(h3.name));
    expect((await ssh(h3, 'hostname', { knownHosts: fresh })).stdout.trim()).toBe(h3.name);
  });

  it('stopHost makes the host refuse connections', async () => {
    await fleet.stopHost(h1.name);
    const r = await ssh(h1, 'true');
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Connection refused/);
    expect(mountsUnder(join(DIR, h1.name))).toEqual([]);
    expect(existsSync(join(DIR, h1.name))).toBe(false);
    expect((await ssh(h2, 'hostname')).stdout.trim()).toBe(h2.name);
  });

  it('startHangListener accepts TCP but never sends a banner', async () => {
    const listener = await startHangListener(testIp(50));
    try {
      const got = await new Promise<{ connected: boolean; data: string }>((resolve, reject) => {
        let data = '';
        let connected = false;
        const s = connect({ host: testIp(50), port: 22 });
        s.on('connect', () => {
          connected = true;
          s.write('SSH-2.0-probe\r\n');
        });
        s.on('data', (d: Buffer) => (data += d.toString()));
        s.on('error', reject);
        setTimeout(() => {
          s.destroy();
          resolve({ connected, data });
        }, 700);
      });
      expect(got).toEqual({ connected: true, data: '' });
    } finally {
      await listener.close();
    }
  });

  it('stop() leaves no mounts and no fixture processes behind', async () => {
    const before = processesRootedUnder(DIR);
    expect(before.length).toBeGreaterThan(0);
    await fleet.stop();
    await fleet.stop(); // idempotent
    expect(mountsUnder(DIR)).toEqual([]);
    expect(processesRootedUnder(DIR)).toEqual([]);
    const sshd = readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .filter((e) => {
        try {
          return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(DIR);
        } catch {
          return false;
        }
      });
    expect(sshd).toEqual([]);
    expect(existsSync(DIR)).toBe(false);
    expect((await ssh(h2, 'true')).stderr).toMatch(/Connection refused/);
  });
});
