// Services and what promanager leaves on hosts, on real SSH test hosts with a real node_exporter: uninstall of
// nothing, one textfile directory for node_exporter and every metrics writer (read back through node_exporter's
// own /metrics), metrics after every run, service logs, and host clean leaving nothing of promanager behind.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, runCli, runOk, tempHome } from '../helpers/cli.js';
import { startFleet, testDir, testHostsUnavailableReason, type TestFleet } from '../fixtures/testhosts.js';
import { startMirror, type Mirror } from '../fixtures/mirror.js';

const skip = testHostsUnavailableReason();

interface Line { type: string; host: string; ok: boolean; changed: boolean; error: string | null; pid?: number | null; status?: string }
const hostLines = (out: string) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line).filter((l) => l.type === 'host').sort((a, b) => a.host.localeCompare(b.host));

/** What node_exporter serves, polled until `want` matches or the deadline passes (it reads the files per scrape). */
async function metricsUntil(url: string, want: RegExp, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  let body = '';
  while (Date.now() < deadline) {
    body = await fetch(url, { signal: AbortSignal.timeout(3000) }).then((r) => r.text()).catch(() => '');
    if (want.test(body)) return body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never matched ${want}; last body had: ${body.split('\n').filter((l) => /promanager|textfile/.test(l)).join('\n')}`);
}

// Everything promanager may write lies under these; the list is taken before any promanager work to compare.
const LEFTOVERS = "find /opt /etc /var /home /root /srv /usr/local -xdev -name '*promanager*' -print 2>/dev/null | sort; getent passwd node_exporter";

describe.skipIf(skip !== undefined)(`services and host cleanup on real hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fleet: TestFleet;
  let mirror: Mirror;
  let home: string;
  let env: Record<string, string>;
  let inventory: string;
  const before = new Map<string, string>();
  const ip = (n: string) => fleet.hosts.find((h) => h.name === n)!.ip;
  const metricsUrl = (n: string) => `http://${ip(n)}:9100/metrics`;
  const ok = (args: string[], code = 0) => runOk(args, { home, env }, code);

  function writeInventory(extraT1Vars = ''): void {
    writeFileSync(inventory, [
      'defaults:',
      `  ssh: { user: root, key: ${fleet.keyFile} }`,
      `  vars: { artifact_mirror: '${mirror.baseUrl}', health_timeout: 30 }`,
      'clusters:',
      '  lab:',
      '    hosts:',
      `      - { name: t1, ip: ${ip('t1')}, vars: { node_exporter_listen_address: '${ip('t1')}:9100'${extraT1Vars} } }`,
      `      - { name: t2, ip: ${ip('t2')}, vars: { node_exporter_listen_address: '${ip('t2')}:9100' } }`,
      '',
    ].join('\n'));
  }

  beforeAll(async () => {
    [fleet, mirror] = await Promise.all([
      startFleet([{ name: 't1', cron: true }, { name: 't2' }], { dir: testDir('pm-testhosts-svchost'), firstIp: 120 }),
      startMirror([{ component: 'node_exporter', version: '1.5.0' }]),
    ]);
    home = tempHome('pm-svchost-');
    inventory = path.join(home, 'lab.yml');
    env = { PROMANAGER_KNOWN_HOSTS: fleet.knownHostsFile };
    writeInventory();
    await ok(['inventory', 'import', inventory]);
    for (const n of ['t1', 't2']) before.set(n, (await fleet.exec(n, LEFTOVERS)).stdout);
  }, 180_000);

  afterAll(async () => {
    await mirror?.close();
    await fleet?.stop();
  });

  it('uninstalls a component a host does not run as ok unchanged, exit 0 (like state: absent)', async () => {
    const r = await ok(['service', 'uninstall', 'node_exporter', '-y', '--json']);
    expect(hostLines(r.stdout).map((l) => [l.host, l.ok, l.changed, l.error])).toEqual([['t1', true, false, null], ['t2', true, false, null]]);
    const plain = await ok(['service', 'uninstall', 'node_exporter', '-y', '--purge']);
    expect(plain.stdout).toMatch(/^t1\tok\tunchanged\tnot installed: nothing to remove$/m);
  });

  it('has node_exporter read its textfile directory from the moment it is installed', async () => {
    await ok(['service', 'install', 'node_exporter', '--version', '1.5.0']);
    for (const n of ['t1', 't2']) {
      const body = await metricsUntil(metricsUrl(n), /^node_textfile_scrape_error 0$/m);
      expect(body).not.toMatch(/^node_textfile_scrape_error 1$/m);
      expect((await fleet.exec(n, 'stat -c %a /var/lib/promanager/textfile')).stdout.trim()).toBe('755');
    }
  });

  it('says "nothing failed last time" and exits 0 for --limit @failed after a clean run, in every fan-out command', async () => {
    for (const [command, rest] of [[['exec'], ['--', 'true']], [['host', 'refresh'], []], [['service', 'status', 'node_exporter'], []]] as const) {
      await ok([...command, ...rest]);
      const r = await ok([...command, '--limit', '@failed', ...rest]);
      expect(r.stderr).toMatch(new RegExp(`^nothing failed last time: the previous '${command.slice(0, 2).join(' ')}' \\(.*\\) succeeded on every host$`, 'm'));
      expect(r.stderr).not.toContain('no hosts match');
    }
    const json = JSON.parse((await ok(['exec', '--limit', '@failed', '--json', '--', 'true'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ type: 'summary', hosts: 0, failed: 0, exit_code: 0 });
    // With a failure recorded, @failed runs exactly the failed hosts.
    await ok(['exec', '--', 'test $(hostname) != t2'], 4);
    const again = await ok(['exec', '--limit', '@failed', '--', 'true']);
    expect(again.stderr).toMatch(/^t2\tok\t/m);
    expect(again.stderr).not.toMatch(/^t1\t/m);
  });

  it('updates the metrics node_exporter serves after every run: job run, fim check, fim accept', async () => {
    const script = path.join(home, 'flaky.sh');
    writeFileSync(script, '#!/bin/sh\nexit 3\n');
    await ok(['job', 'add', 'flaky', '--script', script, '--cron', '*/5 * * * *']);
    await ok(['job', 'run', 'flaky'], 1);
    await metricsUntil(metricsUrl('t2'), /^promanager_job_last_exit_code\{job="flaky"\} 3$/m);

    await fleet.exec('t2', 'mkdir -p /srv/pmfim && echo one > /srv/pmfim/a.conf');
    await ok(['fim', 'policy', 'add', 'srv', '--path', '/srv/pmfim']);
    await ok(['fim', 'baseline', 'srv', '--hosts', 't2']);
    await fleet.exec('t2', 'echo two > /srv/pmfim/a.conf');
    await ok(['fim', 'check', 'srv', '--hosts', 't2'], 5);
    await metricsUntil(metricsUrl('t2'), /^promanager_fim_changed_files\{policy="srv"\} 1$/m);
    await ok(['fim', 'accept', 'srv', '--hosts', 't2', '--reason', 'test change']);
    await metricsUntil(metricsUrl('t2'), /^promanager_fim_changed_files\{policy="srv"\} 0$/m);
  });

  it('warns on fim schedule where cron is installed but no daemon runs, like job schedule', async () => {
    const r = await ok(['fim', 'schedule', 'srv', '--cron', '*/30 * * * *', '--hosts', 't2']);
    expect(r.stderr).toMatch(/^t2\tok\tchanged\t.*warning: cron is installed but no cron daemon is running$/m);
  });

  it('moves node_exporter and every writer together when node_exporter_textfile_dir changes', async () => {
    await ok(['job', 'schedule', 'flaky', '--hosts', 't1']);
    await ok(['job', 'run', 'flaky', '--hosts', 't1'], 1);
    await metricsUntil(metricsUrl('t1'), /^promanager_job_last_exit_code\{job="flaky"\} 3$/m);
    const pidBefore = hostLines((await ok(['service', 'status', 'node_exporter', '--hosts', 't1', '--json'])).stdout)[0]!.pid;

    writeInventory(", node_exporter_textfile_dir: /var/lib/pm-textfile-moved");
    await ok(['inventory', 'import', inventory]);
    const r = hostLines((await ok(['service', 'install', 'node_exporter', '--version', '1.5.0', '--hosts', 't1', '--json'])).stdout)[0]!;
    expect(r).toMatchObject({ ok: true, changed: true, status: 'running' });
    expect(r.pid).not.toBe(pidBefore);
    expect((await fleet.exec('t1', `tr '\\0' ' ' < /proc/${r.pid}/cmdline`)).stdout).toContain('--collector.textfile.directory=/var/lib/pm-textfile-moved');
    // The scheduled job moved with it: its metrics are in the new directory, and cron will write there.
    expect((await fleet.exec('t1', 'ls /var/lib/pm-textfile-moved; ls /var/lib/promanager/textfile')).stdout.trim()).toBe('promanager_job_flaky.prom');
    expect((await fleet.exec('t1', 'cat /var/lib/promanager/jobs/flaky/job.json')).stdout).toContain('"textfile_dir": "/var/lib/pm-textfile-moved"');
    await metricsUntil(metricsUrl('t1'), /^promanager_job_last_exit_code\{job="flaky"\} 3$/m);
    writeFileSync(path.join(home, 'flaky.sh'), '#!/bin/sh\nexit 0\n');
    await ok(['job', 'add', 'flaky', '--script', path.join(home, 'flaky.sh')]);
    await ok(['job', 'run', 'flaky', '--hosts', 't1']);
    await metricsUntil(metricsUrl('t1'), /^promanager_job_last_exit_code\{job="flaky"\} 0$/m);
  });

  it('shows a service log, and follows it until Ctrl-C, leaving nothing running on the host', async () => {
    const r = await ok(['service', 'logs', 'node_exporter', '--hosts', 't2', '-n', '3']);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBe(3);
    expect(lines.every((l) => l.startsWith('t2\t'))).toBe(true);
    expect(r.stderr).toMatch(/^t2\tok\tunchanged\t\/var\/log\/promanager\/node_exporter\.log$/m);

    const child = spawn(process.execPath, [binPath, 'service', 'logs', 'node_exporter', '--hosts', 't2', '-n', '0', '--follow'], { env: { ...process.env, PROMANAGER_HOME: home, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!(await fleet.exec('t2', 'pgrep -f "tail -n 0 -F"')).stdout.trim() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    await ok(['service', 'restart', 'node_exporter', '--hosts', 't2']);
    while (!/promanager-supervisor: started node_exporter/.test(out) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    expect(out).toMatch(/^t2\t.*promanager-supervisor: started node_exporter/m);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const left = Date.now() + 10_000;
    let tails = 'x';
    while (tails && Date.now() < left) {
      tails = (await fleet.exec('t2', 'pgrep -f "tail -n 0 -F"')).stdout.trim();
      if (tails) await new Promise((res) => setTimeout(res, 200));
    }
    expect(tails).toBe('');
  });

  it('host clean refuses while a service is installed, then leaves nothing of promanager after uninstall --purge', async () => {
    const refused = await runCli(['host', 'clean', '--hosts', 't2', '-y'], { home, env });
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toMatch(/still in use \(services installed: node_exporter; scheduled: fim-srv\)/);
    await ok(['fim', 'unschedule', 'srv', '--hosts', 't2']);
    await ok(['service', 'uninstall', 'node_exporter', '--hosts', 't2', '--purge', '-y']);
    expect((await fleet.exec('t2', 'getent passwd node_exporter')).stdout).toBe('');
    const kept = await ok(['host', 'clean', '--hosts', 't2', '-y', '--json']);
    expect(hostLines(kept.stdout)[0]).toMatchObject({ ok: true, changed: true });
    // Without --purge the data stays (here the FIM baseline copy and journal); with it, nothing is left.
    expect((await fleet.exec('t2', 'ls /var/lib/promanager')).stdout.split('\n').filter(Boolean)).toEqual(['fim']);
    expect((await fleet.exec('t2', 'ls /var/lib/promanager/fim')).stdout.split('\n').filter(Boolean)).toEqual(['srv']);
    await ok(['host', 'clean', '--hosts', 't2', '-y', '--purge']);
    expect((await fleet.exec('t2', LEFTOVERS)).stdout).toBe(before.get('t2'));
  });

  it('host clean --purge removes services, schedules, users and data in one go', async () => {
    expect((await fleet.exec('t1', 'ls /etc/cron.d')).stdout).toContain('promanager-job-flaky');
    const r = await ok(['host', 'clean', '--hosts', 't1', '-y', '--purge', '--json']);
    expect(hostLines(r.stdout)[0]).toMatchObject({ ok: true, changed: true });
    expect((await fleet.exec('t1', LEFTOVERS)).stdout).toBe(before.get('t1'));
    expect((await fleet.exec('t1', 'ls -A /var/lib/pm-textfile-moved')).stdout).toBe('');
    const services = JSON.parse((await ok(['service', 'list', '--json'])).stdout) as unknown[];
    expect(services).toEqual([]);
    const job = JSON.parse((await ok(['job', 'show', 'flaky', '--json'])).stdout) as { scheduled_on: unknown[] };
    expect(job.scheduled_on).toEqual([]);
  });
});
