// Jobs against real OpenSSH hosts through the real CLI: running with output per host and one host failing,
// history, a timeout that leaves nothing behind, megabytes of output, scheduling as root (/etc/cron.d) and as
// a user (crontab), a host without cron, a host down at schedule time retried with --limit @failed, and roles.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runOk, tempHome } from '../helpers/cli.js';
import { startFleet, testHostsUnavailableReason, type TestFleet, testIp, testDir } from '../fixtures/testhosts.js';

const skip = testHostsUnavailableReason();
const LATE_IP = testIp(89);

type Json = Record<string, unknown>;
const ndjson = (text: string): Json[] => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);
const hostLines = (text: string) => ndjson(text).filter((l) => l.type === 'host');

/** A TCP relay: the "late" host comes up when this starts forwarding to a real test host. */
async function relay(fromIp: string, toIp: string): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(22, toIp);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(22, fromIp, resolve));
  return {
    close: () => new Promise<void>((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
}

describe.skipIf(skip !== undefined)(`jobs on real SSH hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fleet: TestFleet;
  let home: string;
  let env: Record<string, string>;
  let late: { close(): Promise<void> } | null = null;
  const ip = (name: string) => fleet.hosts.find((h) => h.name === name)!.ip;
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { home, env: { ...env, ...extra } });
  const ok = (args: string[], code = 0) => runOk(args, { home, env }, code);
  const script = (name: string, body: string) => {
    const file = path.join(home, name);
    writeFileSync(file, body);
    return file;
  };
  const leftovers = (host: string, pattern: string) => fleet.exec(host, `ps -eo stat=,args= | awk '$1 !~ /Z/' | grep -E '${pattern}' | grep -v grep || true`).then((r) => r.stdout.trim());

  beforeAll(async () => {
    fleet = await startFleet([
      { name: 'j1' },
      { name: 'j2' },
      { name: 'j3nocron' },
      { name: 'j4ops', user: 'ops' },
      { name: 'j5late' },
    ], { dir: testDir('pm-testhosts-jobs'), firstIp: 80 });
    // A host without cron: the binary gone from its (copy-on-write) root only.
    await fleet.exec('j3nocron', 'rm -f /usr/sbin/cron');
    // The fixture empties the crontab spool as root:root 0755; Debian's is root:crontab 1730, which crontab(1)
    // (setgid crontab) needs to write a user's table.
    await fleet.exec('j4ops', 'chown root:crontab /var/spool/cron/crontabs && chmod 1730 /var/spool/cron/crontabs');
    home = tempHome('pm-jobs-');
    // "late" answers at LATE_IP with j5late's keys once the relay runs; until then nothing listens there.
    const knownHosts = path.join(home, 'known_hosts');
    writeFileSync(knownHosts, readFileSync(fleet.knownHostsFile, 'utf8') + (await fleet.knownHostLines('j5late')).replaceAll(ip('j5late'), LATE_IP));
    const inv = path.join(home, 'fleet.yml');
    writeFileSync(inv, [
      'defaults:',
      `  ssh: { user: root, key: ${fleet.keyFile} }`,
      'clusters:',
      '  lab:',
      '    hosts:',
      `      - { name: j1, ip: ${ip('j1')}, labels: { role: app }, vars: { node_exporter_textfile_dir: /var/lib/prometheus/node-exporter } }`,
      `      - { name: j2, ip: ${ip('j2')}, labels: { role: app } }`,
      `      - { name: j3nocron, ip: ${ip('j3nocron')}, labels: { role: bare } }`,
      `      - { name: j4ops, ip: ${ip('j4ops')}, labels: { role: user-mode }, ssh: { user: ops } }`,
      `      - { name: late, ip: ${LATE_IP}, labels: { role: app-late } }`,
      '',
    ].join('\n'));
    env = { PROMANAGER_KNOWN_HOSTS: knownHosts };
    await runOk(['inventory', 'import', inv], { home, env });
  }, 120_000);

  afterAll(async () => {
    await late?.close();
    await fleet?.stop();
  });

  it('refuses bad input before touching anything: missing script, invalid cron, unsafe names', async () => {
    const good = script('good.sh', 'echo ok\n');
    const missing = await cli(['job', 'add', 'nofile', '--script', path.join(home, 'nope.sh')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot read script file '${path.join(home, 'nope.sh')}': no such file`);
    const cron = await cli(['job', 'add', 'badcron', '--script', good, '--cron', '*/5 25 * * *']);
    expect(cron.code).toBe(2);
    expect(cron.stderr).toContain("invalid cron expression '*/5 25 * * *': hour: '25' is out of range 0-23");
    for (const name of ['../etc', 'Backup', '.hidden', 'a b', 'x'.repeat(64)]) {
      const r = await cli(['job', 'add', name, '--script', good]);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toContain(`invalid job name '${name}'`);
    }
    expect((await cli(['job', 'add', 'badenv', '--script', good, '--env', '1X=2'])).code).toBe(2);
    expect((await ok(['job', 'list', '--json'])).stdout.trim()).toBe('[]');
  });

  it('runs a job on several hosts with output per host, one failing (exit 4), recorded in the history', async () => {
    await ok(['job', 'add', 'hello', '--script', script('hello.sh', '#!/bin/bash\necho "hello from $(hostname) as $(id -un), arg=$1 env=$GREETING"\necho "warn on $(hostname)" >&2\n[ "$(hostname)" != j2 ]\n'),
      '-l', 'role=app', '--arg', 'first', '--env', 'GREETING=hi']);
    const r = await cli(['job', 'run', 'hello', '--hosts', 'j1,j2']);
    expect(r.code).toBe(4);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['j1\thello from j1 as root, arg=first env=hi', 'j2\thello from j2 as root, arg=first env=hi']);
    expect(r.stderr).toContain('j1\twarn on j1');
    expect(r.stderr).toMatch(/j1\tok\tchanged\texit 0 in \d/);
    expect(r.stderr).toContain('j2\tfailed\tunchanged\texit code 1');

    const history = JSON.parse((await ok(['job', 'history', 'hello', '--json'])).stdout) as Json[];
    expect(history.map((h) => [h.host, h.exit_code, h.ok, h.source, h.job_version])).toEqual([['j1', 0, true, 'run', 1], ['j2', 1, false, 'run', 1]]);
    expect(readFileSync(String(history[0]!.output_file), 'utf8')).toBe('hello from j1 as root, arg=first env=hi\nwarn on j1\n');
    const failedFirst = JSON.parse((await ok(['job', 'history', 'hello', '--failed-first', '--json'])).stdout) as Json[];
    expect(failedFirst[0]!.host).toBe('j2');

    // only the failed host again; the script is already there (content-addressed)
    const again = await cli(['job', 'run', 'hello', '--json', '--limit', '@failed']);
    expect(again.code).toBe(1);
    const lines = hostLines(again.stdout);
    expect(lines.map((l) => [l.host, l.exit_code, l.script_uploaded])).toEqual([['j2', 1, false]]);
    // flags narrow the job's own targets: j3nocron is not role=app
    expect((await cli(['job', 'run', 'hello', '--hosts', 'j3nocron'])).stderr).toContain('no hosts match');
  });

  it('ends a script that never ends at its timeout, leaving no process behind', async () => {
    await ok(['job', 'add', 'hang', '--script', script('hang.sh', 'echo started\nsleep 327 &\nsleep 328\nwait\n'), '-l', 'role=app', '--timeout', '2']);
    const started = Date.now();
    const r = await cli(['job', 'run', 'hang', '--hosts', 'j1']);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stdout).toContain('j1\tstarted');
    expect(r.stderr).toContain('j1\tfailed\tunchanged\ttimed out after 2 s; its process group was ended');
    const [run] = JSON.parse((await ok(['job', 'history', 'hang', '--json'])).stdout) as Json[];
    expect(run).toMatchObject({ host: 'j1', timed_out: true, ok: false, exit_code: null });
    expect(await leftovers('j1', 'sleep 32[78]|promanager/agent')).toBe('');
  });

  it('caps megabytes of output, says so, and keeps the head and the tail', async () => {
    await ok(['job', 'add', 'loud', '--script', script('loud.sh', "head -c 3000000 /dev/zero | tr '\\0' x\necho\necho THE-END\n"), '-l', 'role=app', '--max-output', '64k']);
    const r = await cli(['job', 'run', 'loud', '--hosts', 'j1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/j1\tok\tchanged\texit 0 in .*output capped: kept 64\.0 KiB and the tail of 2\.9 MiB/);
    expect(Buffer.byteLength(r.stdout)).toBeLessThan(70_000);
    const [run] = JSON.parse((await ok(['job', 'history', 'loud', '--json'])).stdout) as Json[];
    expect(run).toMatchObject({ ok: true, truncated: true, output_bytes: 3_000_009 });
    const file = String(run!.output_file);
    expect(statSync(file).size).toBeLessThan(64 * 1024 + 64 * 1024 + 200);
    expect(readFileSync(file, 'utf8')).toMatch(/\[promanager: output capped, \d+ bytes left out of 3000009; the last 65536 follow\]\n[x]*\nTHE-END\n$/);
  });

  it('schedules as root in /etc/cron.d and as a user in its crontab, touching only its own lines, then unschedules', async () => {
    await fleet.exec('j4ops', "printf 'MAILTO=\"\"\\n0 6 * * * /home/ops/report.sh\\n' | su ops -s /bin/sh -c 'crontab -'");
    await ok(['job', 'add', 'nightly', '--script', script('nightly.sh', 'date\n'), '--cron', '30 2 * * *']);
    const r = await ok(['job', 'schedule', 'nightly', '--hosts', 'j1,j4ops']);
    // the next runs are shown before the hosts' results
    expect(r.stderr).toMatch(/^cron '30 2 \* \* \*': next runs \d{4}-\d\d-\d\d 02:30 \w{3}, /);
    expect(r.stdout).toMatch(/j1\tok\tchanged\tinstalled in \/etc\/cron\.d\/promanager-job-nightly \(version 1\); warning: cron is installed but no cron daemon is running/);
    expect(r.stdout).toContain('j4ops\tok\tchanged\tinstalled in crontab of ops');
    const cronFile = (await fleet.exec('j1', 'stat -c %a /etc/cron.d/promanager-job-nightly; cat /etc/cron.d/promanager-job-nightly')).stdout;
    expect(cronFile).toMatch(/^644\n# promanager:job-nightly/);
    expect(cronFile).toMatch(/\n30 2 \* \* \* root \/usr\/bin\/flock -n \/var\/lib\/promanager\/jobs\/nightly\/lock \S+ \/var\/lib\/promanager\/agent\/[0-9a-f]{64}\.cjs job-cron \/var\/lib\/promanager\/jobs\/nightly >>/);
    const crontab = (await fleet.exec('j4ops', 'crontab -u ops -l')).stdout;
    expect(crontab).toMatch(/^MAILTO=""\n0 6 \* \* \* \/home\/ops\/report\.sh\n# promanager:job-nightly begin\n30 2 \* \* \* \/usr\/bin\/flock -n \/home\/ops\/\.cache\/promanager\/jobs\/nightly\/lock .* job-cron \/home\/ops\/\.cache\/promanager\/jobs\/nightly .*\n# promanager:job-nightly end\n$/);
    // scheduling again changes nothing
    expect((await ok(['job', 'schedule', 'nightly', '--hosts', 'j1,j4ops'])).stdout).toContain('j1\tok\tunchanged\talready in');
    const shown = JSON.parse((await ok(['job', 'show', 'nightly', '--json'])).stdout) as { scheduled_on: Json[] };
    expect(shown.scheduled_on.map((s) => [s.host, s.version, s.outdated])).toEqual([['j1', 1, false], ['j4ops', 1, false]]);
    expect((await cli(['job', 'remove', 'nightly', '-y'])).stderr).toContain("job 'nightly' is still scheduled on 2 host(s): j1, j4ops");

    // with no flags, unschedule goes where the job is scheduled
    const un = await ok(['job', 'unschedule', 'nightly']);
    expect(un.stdout).toContain('j1\tok\tchanged\tremoved from /etc/cron.d/promanager-job-nightly');
    expect(un.stdout).toContain('j4ops\tok\tchanged\tremoved from crontab of ops');
    expect(existsSync(path.join(fleet.hosts.find((h) => h.name === 'j1')!.root, 'etc/cron.d/promanager-job-nightly'))).toBe(false);
    expect((await fleet.exec('j4ops', 'crontab -u ops -l')).stdout).toBe('MAILTO=""\n0 6 * * * /home/ops/report.sh\n');
    await ok(['job', 'remove', 'nightly', '-y']);
  });

  it('runs scheduled ticks under flock: two at once make one run, recorded with metrics, collected once', async () => {
    await ok(['job', 'add', 'slow', '--script', script('slow.sh', 'sleep 3\necho slept\n'), '--cron', '*/30 * * * *', '-l', 'role=app']);
    const scheduled = hostLines((await ok(['job', 'schedule', 'slow', '--hosts', 'j1', '--json'])).stdout);
    expect(scheduled[0]).toMatchObject({ host: 'j1', textfile: '/var/lib/prometheus/node-exporter/promanager_job_slow.prom' });
    // exactly what cron would run: the command of the installed line, through sh
    const tick = `sh -c "$(grep ' root ' /etc/cron.d/promanager-job-slow | cut -d' ' -f7-)"`;
    await fleet.exec('j1', `${tick} & ${tick} & wait`);
    const records = (await fleet.exec('j1', 'ls /var/lib/promanager/jobs/slow/runs/')).stdout.split('\n').filter((f) => f.endsWith('.json'));
    expect(records).toHaveLength(1);
    // j1 names node_exporter's textfile directory (Debian's) in its inventory vars
    expect((await fleet.exec('j1', 'cat /var/lib/prometheus/node-exporter/promanager_job_slow.prom')).stdout).toContain('promanager_job_last_exit_code{job="slow"} 0\n');
    const collect = await ok(['job', 'history', 'slow', '--collect', '--hosts', 'j1']);
    expect(collect.stderr).toContain('j1\tok\tchanged\t1 new run record(s)');
    // piped: raw numbers (duration in ms, output in bytes); units only on a terminal
    expect(collect.stdout).toMatch(/^\d+\tj1\t1\tschedule\t\S+\t\d+\tok\t6\t\S+\.log$/m);
    expect((await ok(['job', 'history', 'slow', '--collect', '--hosts', 'j1'])).stderr).toContain('j1\tok\tunchanged\t0 new run record(s)');
    await ok(['job', 'unschedule', 'slow']);
    expect((await fleet.exec('j1', 'ls /var/lib/prometheus/node-exporter/')).stdout).not.toContain('promanager_job_slow');
  });

  it('names the package to install on a host without cron', async () => {
    await ok(['job', 'add', 'needs-cron', '--script', script('c.sh', 'true\n'), '--cron', '@hourly']);
    const r = await cli(['job', 'schedule', 'needs-cron', '--hosts', 'j3nocron']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('j3nocron\tfailed\tunchanged\tj3nocron: job_schedule: no cron daemon on this host');
    expect(r.stdout).toContain("install the Debian package 'cron' (apt-get install cron)");
  });

  it('reports a host that is down at schedule time (exit 4) and retries it alone with --limit @failed', async () => {
    await ok(['job', 'add', 'spread', '--script', script('spread.sh', 'true\n'), '--cron', '*/10 * * * *', '-l', 'role in (app,app-late)']);
    const r = await cli(['job', 'schedule', 'spread', '--hosts', 'j1,late']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/late\tfailed\tunchanged\t.*refused/);
    expect(r.stdout).toContain('j1\tok\tchanged');
    expect(r.stderr).toContain('--limit @failed');

    late = await relay(LATE_IP, ip('j5late'));
    const retry = await cli(['job', 'schedule', 'spread', '--json', '--limit', '@failed']);
    expect(retry.code).toBe(0);
    expect(hostLines(retry.stdout).map((l) => [l.host, l.ok, l.where])).toEqual([['late', true, '/etc/cron.d/promanager-job-spread']]);
    expect((await fleet.exec('j5late', 'cat /etc/cron.d/promanager-job-spread')).stdout).toContain('*/10 * * * * root ');
    await ok(['job', 'unschedule', 'spread']);
  });

  it('lets a read-only user see jobs and history but not run them (exit 3)', async () => {
    await ok(['user', 'add', 'viewer']);
    await ok(['role', 'grant', 'viewer', 'user', '--cluster', 'lab']);
    await ok(['job', 'add', 'peek', '--script', script('peek.sh', 'uptime\n'), '-c', 'lab']);
    const asViewer = { SUDO_USER: 'viewer' };
    for (const args of [['job', 'list'], ['job', 'show', 'peek'], ['job', 'history', 'peek']]) {
      const r = await cli(args, asViewer);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const denied = await cli(['job', 'run', 'peek'], asViewer);
    expect(denied.code, denied.stderr).toBe(3);
    expect(denied.stderr).toContain("'job run' needs the bizadmin role in cluster 'lab'");
    expect((await cli(['job', 'add', 'sneaky', '--script', script('s.sh', 'true\n'), '-c', 'lab'], asViewer)).code).toBe(3);
    const audit = (await ok(['audit', '--json'])).stdout;
    expect(audit).toContain('"command": "job run"');
  });
});
