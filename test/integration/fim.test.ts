// File integrity monitoring against real OpenSSH hosts (each in its own namespaces), through the real CLI.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runOk, tempHome } from '../helpers/cli.js';
import { startFleet, testHostsUnavailableReason, type TestFleet, testDir } from '../fixtures/testhosts.js';

const skip = testHostsUnavailableReason();

interface ChangeJson { path: string; kind: string; attributes: string[]; old: Record<string, unknown> | null; new: Record<string, unknown> | null; reason: string | null }
interface PolicyJson { policy: string; error: string | null; added: number; removed: number; modified: number; unknown: number; new_events: number; changes: ChangeJson[]; uploaded: boolean }
interface HostJson { type: string; host: string; ok: boolean; error: string | null; drift: boolean; policies: PolicyJson[] }
interface EventJson { host: string; policy: string; path: string; kind: string; attributes: string[]; old: Record<string, unknown> | null; new: Record<string, unknown> | null; reason: string | null; detected_at: string; source: string; accepted: boolean; accepted_by: string | null; accept_reason: string | null }

/** The tree every host gets: a config dir, a binary, a log (excluded), and files the non-root user cannot read. */
const TREE = [
  'rm -rf /srv/app && mkdir -p /srv/app/conf /srv/app/bin /srv/app/logs /srv/app/private',
  'echo "listen 80" > /srv/app/conf/app.conf',
  'echo "user=app" > /srv/app/conf/users',
  'echo "v1" > /srv/app/conf/old.conf',
  'printf "\\x7fELF-binary" > /srv/app/bin/app && chmod 755 /srv/app/bin/app',
  'echo "secret" > /srv/app/secret.key && chmod 600 /srv/app/secret.key',
  'echo "hidden" > /srv/app/private/x && chmod 700 /srv/app/private',
  'echo "started" > /srv/app/logs/app.log',
].join(' && ');

function ndjson<T>(stdout: string): T[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

describe.skipIf(skip !== undefined)(`fim on real SSH hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fleet: TestFleet;
  let home: string;
  let env: Record<string, string>;
  const cli = (args: string[], expected = 0) => runOk(args, { home, env }, expected);
  const check = async (args: string[], expected: number) => ndjson<HostJson>((await cli(['fim', 'check', '--json', ...args], expected)).stdout).filter((l) => l.type === 'host');
  const events = async (args: string[] = []) => JSON.parse((await cli(['fim', 'events', '--json', ...args])).stdout) as EventJson[];
  const changesOf = (hosts: HostJson[], host: string) => Object.fromEntries(hosts.find((h) => h.host === host)!.policies[0]!.changes.map((c) => [c.path, c]));

  beforeAll(async () => {
    fleet = await startFleet([{ name: 'f1', cron: true }, { name: 'f2' }, { name: 'f3ops', user: 'ops' }], { dir: testDir('pm-testhosts-fim'), firstIp: 60 });
    await Promise.all(fleet.hosts.map((h) => fleet.exec(h.name, TREE)));
    home = tempHome('pm-fim-');
    const inv = path.join(home, 'fleet.yml');
    const ip = (n: string) => fleet.hosts.find((h) => h.name === n)!.ip;
    writeFileSync(inv, [
      'defaults:',
      `  ssh: { user: root, key: ${fleet.keyFile} }`,
      'clusters:',
      '  lab:',
      '    hosts:',
      `      - { name: f1, ip: ${ip('f1')}, labels: { role: web } }`,
      `      - { name: f2, ip: ${ip('f2')}, labels: { role: web } }`,
      `      - { name: f3ops, ip: ${ip('f3ops')}, labels: { role: edge }, ssh: { user: ops } }`,
      '',
    ].join('\n'));
    env = { PROMANAGER_KNOWN_HOSTS: fleet.knownHostsFile };
    await cli(['inventory', 'import', inv]);
    await cli(['fim', 'policy', 'add', 'app', '-c', 'lab', '--path', '/srv/app', '--exclude', '*.log']);
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
  });

  it('baselines each host, streaming the entries to the controller, and reports what a non-root user cannot read', async () => {
    const r = await cli(['fim', 'baseline', '--json']);
    const hosts = ndjson<HostJson & { policies: Array<{ entries: number; sha256: string; unknown: Array<{ path: string; reason: string }> }> }>(r.stdout).filter((l) => l.type === 'host');
    expect(hosts.map((h) => [h.host, h.ok]).sort()).toEqual([['f1', true], ['f2', true], ['f3ops', true]]);
    // /srv/app, conf/{app.conf,old.conf,users}, bin/app, logs (its app.log excluded), private/x, secret.key, and the dirs
    expect(hosts.find((h) => h.host === 'f1')!.policies[0]!.entries).toBe(11);
    expect(hosts.find((h) => h.host === 'f3ops')!.policies[0]!.unknown).toEqual([
      { path: '/srv/app/private', reason: 'cannot list directory: EACCES: permission denied' },
      { path: '/srv/app/secret.key', reason: 'EACCES: permission denied' },
    ]);
    const stored = readdirSync(path.join(home, 'fim', 'baselines'));
    expect(stored).toHaveLength(3);
    const db = JSON.parse(readFileSync(path.join(home, 'db.json'), 'utf8')) as { fim_baselines: Array<{ file: string; sha256: string }> };
    const { createHash } = await import('node:crypto');
    for (const b of db.fim_baselines) expect(createHash('sha256').update(readFileSync(path.join(home, 'fim', 'baselines', b.file))).digest('hex')).toBe(b.sha256);
  });

  it('finds nothing on an untouched fleet, and reports unreadable paths as unknown with the reason', async () => {
    const hosts = await check([], 0);
    expect(hosts.filter((h) => h.host !== 'f3ops').every((h) => h.policies[0]!.changes.length === 0)).toBe(true);
    const ops = changesOf(hosts, 'f3ops');
    expect(Object.keys(ops)).toEqual(['/srv/app/private', '/srv/app/secret.key']);
    expect(ops['/srv/app/secret.key']).toMatchObject({ kind: 'unknown', reason: 'not verified: EACCES: permission denied' });
  });

  it('reports every kind of change, on the one host that drifted, with exit 5', async () => {
    await fleet.exec('f1', [
      'echo "listen 8080" > /srv/app/conf/app.conf',
      'echo "evil" > /srv/app/bin/backdoor',
      'rm /srv/app/conf/old.conf',
      'chmod 4755 /srv/app/bin/app',
      'chown 65534:65534 /srv/app/conf/users',
      'rm /srv/app/secret.key && ln -s /etc/shadow /srv/app/secret.key',
      'touch -d "2020-01-01 00:00:00 UTC" /srv/app/private/x',
      'echo more >> /srv/app/logs/app.log',
    ].join(' && '));
    const hosts = await check([], 5);
    expect(hosts.find((h) => h.host === 'f2')!.drift).toBe(false);
    const c = changesOf(hosts, 'f1');
    expect(c['/srv/app/conf/app.conf']).toMatchObject({ kind: 'modified', attributes: expect.arrayContaining(['sha256', 'size', 'mtime', 'ctime']) });
    expect(c['/srv/app/bin/backdoor']).toMatchObject({ kind: 'added', new: expect.objectContaining({ type: 'file', size: 5 }) });
    expect(c['/srv/app/conf/old.conf']).toMatchObject({ kind: 'removed', old: expect.objectContaining({ type: 'file' }) });
    expect(c['/srv/app/bin/app']).toMatchObject({ kind: 'modified', old: { mode: '0755' }, new: { mode: '4755' } });
    expect(c['/srv/app/conf/users']).toMatchObject({ kind: 'modified', old: { uid: 0, gid: 0 }, new: { uid: 65534, gid: 65534 } });
    expect(c['/srv/app/secret.key']).toMatchObject({ kind: 'modified', new: expect.objectContaining({ type: 'symlink', target: '/etc/shadow', sha256: null }) });
    expect(c['/srv/app/private/x']).toMatchObject({ kind: 'modified', attributes: ['mtime', 'ctime'], new: { mtime: '2020-01-01T00:00:00.000000000Z' } });
    expect(Object.keys(c).some((p) => p.endsWith('.log'))).toBe(false);
    // The same drift seen again is not recorded twice.
    expect((await check(['--hosts', 'f1', '--full'], 5))[0]!.policies[0]!.new_events).toBe(0);
    const recorded = await events(['--hosts', 'f1', '--unaccepted']);
    expect(recorded.length).toBe(Object.keys(c).length);
    expect(recorded.find((e) => e.path === '/srv/app/bin/app')).toMatchObject({ host: 'f1', policy: 'app', kind: 'modified', attributes: ['mode', 'ctime'], old: { mode: '0755' }, accepted: false, source: 'check' });
    expect(Date.parse(recorded[0]!.detected_at)).toBeGreaterThan(Date.now() - 120_000);
  });

  it('accepts changes by path with a recorded reason, and checks clean once all are accepted', async () => {
    const r = await runCli(['fim', 'accept', 'app', '--hosts', 'f1', '--path', '/srv/app/conf/**'], { home, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--reason');
    await cli(['fim', 'accept', 'app', '--hosts', 'f1', '--path', '/srv/app/conf/**', '--reason', 'config rollout CHG-1']);
    const rest = changesOf(await check(['--hosts', 'f1'], 5), 'f1');
    expect(Object.keys(rest).some((p) => p.startsWith('/srv/app/conf/'))).toBe(false);
    expect(rest['/srv/app/bin/backdoor']).toBeDefined();
    const accepted = await events(['--hosts', 'f1', '--accepted']);
    // `conf/**` is what is inside conf, not conf itself (its mtime changed when old.conf went)
    expect(accepted.map((e) => e.path).sort()).toEqual(['/srv/app/conf/app.conf', '/srv/app/conf/old.conf', '/srv/app/conf/users']);
    expect(rest['/srv/app/conf']).toMatchObject({ kind: 'modified' });
    expect(accepted[0]).toMatchObject({ accepted: true, accepted_by: 'root', accept_reason: 'config rollout CHG-1' });
    await cli(['fim', 'accept', '--hosts', 'f1', '--reason', 'reviewed']);
    expect((await check(['--hosts', 'f1'], 0))[0]!.drift).toBe(false);
    expect(await events(['--hosts', 'f1', '--unaccepted'])).toEqual([]);
  });

  it('trusts neither the host copy of the baseline nor a controller file edited behind its back', async () => {
    await fleet.exec('f2', 'printf garbage > /var/lib/promanager/fim/app/baseline.ndjson.gz');
    const hosts = await check(['--hosts', 'f2'], 0);
    expect(hosts[0]!.policies[0]!).toMatchObject({ uploaded: true, changes: [] });
    const db = JSON.parse(readFileSync(path.join(home, 'db.json'), 'utf8')) as { hosts: Array<{ id: number; name: string }>; fim_baselines: Array<{ host_id: number; file: string }> };
    const f2 = db.hosts.find((h) => h.name === 'f2')!.id;
    const file = path.join(home, 'fim', 'baselines', db.fim_baselines.find((b) => b.host_id === f2)!.file);
    const original = readFileSync(file);
    writeFileSync(file, Buffer.concat([original, Buffer.from([0])]));
    const r = await runCli(['fim', 'check', '--hosts', 'f2'], { home, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/was altered outside promanager/);
    writeFileSync(file, original);
  });

  it('runs scheduled checks from cron that write textfile metrics and a journal the controller collects', async () => {
    await cli(['fim', 'schedule', 'app', '--hosts', 'f1', '--cron', '*/5 * * * *']);
    const cronFile = await fleet.exec('f1', 'cat /etc/cron.d/promanager-fim-app');
    const entry = cronFile.stdout.split('\n').find((l) => l.startsWith('*/5 * * * * root '))!;
    expect(entry).toMatch(/nice -n 10 .*ionice -c 3 .*agent\.cjs fim-check \/var\/lib\/promanager\/fim\/app/);
    await fleet.exec('f1', 'echo tampered >> /srv/app/bin/app');
    // Run what cron would run, as cron would (no need to wait for a tick).
    const ran = await fleet.exec('f1', `cd / && env -i PATH=/usr/bin:/bin sh -c ${JSON.stringify(entry.replace(/^\*\/5 \* \* \* \* root /, ''))}`);
    expect(ran.code).toBe(0);
    const metrics = (await fleet.exec('f1', 'cat /var/lib/promanager/textfile/promanager-fim-app.prom')).stdout;
    expect(metrics).toContain('promanager_fim_changed_files{policy="app"} 1');
    expect(metrics).toContain('promanager_fim_unknown_files{policy="app"} 0');
    expect(metrics).toMatch(/promanager_fim_last_check_timestamp_seconds\{policy="app"\} \d{10}/);
    const listed = await events(['--collect', '--hosts', 'f1']);
    const scheduled = listed.filter((e) => e.source === 'schedule');
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]).toMatchObject({ path: '/srv/app/bin/app', kind: 'modified', accepted: false });
    // The next check knows this change already; it records nothing twice.
    expect((await check(['--hosts', 'f1'], 5))[0]!.policies[0]!.new_events).toBe(0);
    await cli(['fim', 'unschedule', 'app', '--hosts', 'f1']);
    expect((await fleet.exec('f1', 'ls /etc/cron.d/promanager-fim-app /var/lib/promanager/textfile/promanager-fim-app.prom 2>&1')).stdout).toMatch(/No such file.*\n.*No such file/);
  });

  it('stops at the per-host limits with a clear report, recording nothing', async () => {
    await cli(['fim', 'policy', 'add', 'small', '-c', 'lab', '-l', 'role=web', '--path', '/srv/app', '--max-files', '5']);
    const files = await runCli(['fim', 'baseline', 'small'], { home, env });
    expect(files.code).toBe(1);
    expect(files.stderr).toMatch(/f1\tfailed\tunchanged\tsmall: file limit reached: more than 5 files under the policy's paths \(stopped at \/srv\/app\/\S+\); nothing was recorded/);
    await cli(['fim', 'policy', 'add', 'tiny', '-c', 'lab', '-l', 'role=web', '--path', '/srv/app', '--max-bytes', '20']);
    const bytes = await runCli(['fim', 'baseline', 'tiny', '--hosts', 'f2'], { home, env });
    expect(bytes.code).toBe(1);
    expect(bytes.stderr).toMatch(/byte limit reached: more than 20 bytes/);
    const listed = (await cli(['fim', 'policy', 'list'])).stdout;
    expect(listed).toMatch(/^small\tlab\trole=web\t\/srv\/app\t\t-\t0\t0$/m);
  });

  it('lets a normal user read events but not check, and removes a policy only once unscheduled', async () => {
    await cli(['user', 'add', 'ann']);
    await cli(['role', 'grant', 'ann', 'user', '--cluster', 'lab']);
    expect((await events(['--as', 'ann', '--since', '1h'])).length).toBeGreaterThan(0);
    expect(await events(['--as', 'ann', '--since', '2099-01-01'])).toEqual([]);
    const denied = await runCli(['fim', 'check', '--as', 'ann'], { home, env });
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/needs the bizadmin role in cluster 'lab'/);
    const global = await runCli(['fim', 'policy', 'add', 'everywhere', '--path', '/etc', '--as', 'ann'], { home, env });
    expect(global.code).toBe(3);
    await cli(['fim', 'schedule', 'app', '--hosts', 'f2', '--cron', '@hourly']);
    const refused = await runCli(['fim', 'policy', 'remove', 'app', '-y'], { home, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('promanager fim unschedule app');
    await cli(['fim', 'unschedule', 'app']);
    await cli(['fim', 'policy', 'remove', 'app', '-y']);
    expect(readdirSync(path.join(home, 'fim', 'archive')).length).toBe(3);
    expect(readdirSync(path.join(home, 'fim', 'baselines'))).toEqual([]);
  });
});
