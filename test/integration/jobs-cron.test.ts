// SLOW (up to ~75 s, runs in CI): a real cron tick. A job scheduled '* * * * *' on a test host running cron
// must produce, within a minute or so, a run record and textfile metrics on the host; `job history --collect`
// then brings the run (with its output) into the controller's history, once.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runOk, tempHome } from '../helpers/cli.js';
import { startFleet, testHostsUnavailableReason, type TestFleet, testDir } from '../fixtures/testhosts.js';

const skip = testHostsUnavailableReason();
const TICK_WAIT_MS = 80_000;

describe.skipIf(skip !== undefined)(`slow: a real cron tick runs a scheduled job${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fleet: TestFleet;
  let home: string;
  let env: Record<string, string>;
  const ok = (args: string[]) => runOk(args, { home, env });

  beforeAll(async () => {
    fleet = await startFleet([{ name: 'c1', cron: true }], { dir: testDir('pm-testhosts-jobs'), firstIp: 80 });
    home = tempHome('pm-jobs-cron-');
    const inv = path.join(home, 'fleet.yml');
    writeFileSync(inv, `clusters:\n  lab:\n    hosts:\n      - { name: c1, ip: ${fleet.hosts[0]!.ip}, ssh: { user: root, key: ${fleet.keyFile} } }\n`);
    env = { PROMANAGER_KNOWN_HOSTS: fleet.knownHostsFile };
    await ok(['inventory', 'import', inv]);
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
  });

  it('records the run and writes textfile metrics on the host, and --collect brings the run back', async () => {
    const script = path.join(home, 'tick.sh');
    writeFileSync(script, '#!/bin/sh\necho "tick on $(hostname) as $PROMANAGER_JOB v$PROMANAGER_JOB_VERSION"\n');
    await ok(['job', 'add', 'tick', '--script', script, '--cron', '* * * * *', '--timeout', '30']);
    const scheduled = await ok(['job', 'schedule', 'tick']);
    expect(scheduled.stdout).toMatch(/^c1\tok\tchanged\tinstalled in \/etc\/cron\.d\/promanager-job-tick \(version 1\)$/m);
    expect(scheduled.stdout).not.toContain('no cron daemon is running');

    const deadline = Date.now() + TICK_WAIT_MS;
    let metrics = '';
    while (Date.now() < deadline) {
      metrics = (await fleet.exec('c1', 'cat /var/lib/promanager/textfile/promanager_job_tick.prom 2>/dev/null')).stdout;
      if (metrics) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    const wrapperLog = (await fleet.exec('c1', 'cat /var/lib/promanager/jobs/tick/wrapper.log 2>/dev/null')).stdout;
    expect(metrics, `no textfile metrics within ${TICK_WAIT_MS / 1000} s; wrapper log: ${wrapperLog}`).not.toBe('');
    expect(metrics).toContain('promanager_job_last_exit_code{job="tick"} 0\n');
    expect(metrics).toMatch(/promanager_job_last_success_timestamp_seconds\{job="tick"\} 1\d{9}/);
    expect(metrics).toMatch(/promanager_job_duration_seconds\{job="tick"\} \d/);
    expect((await fleet.exec('c1', 'ls /var/lib/promanager/jobs/tick/runs/')).stdout).toMatch(/^\d{13}-\d+\.json$/m);

    const collected = JSON.parse((await ok(['job', 'history', 'tick', '--collect', '--json'])).stdout) as {
      collected: Array<{ host: string; ok: boolean; new_runs: number }>;
      runs: Array<Record<string, unknown>>;
    };
    expect(collected.collected[0]).toMatchObject({ host: 'c1', ok: true });
    expect(collected.collected[0]!.new_runs).toBeGreaterThanOrEqual(1);
    const run = collected.runs.find((r) => r.source === 'schedule');
    expect(run).toMatchObject({ host: 'c1', job_version: 1, exit_code: 0, ok: true, timed_out: false });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(String(run!.output_file), 'utf8')).toBe('tick on c1 as tick v1\n');

    // collecting again adds only what ran since, never the same run twice
    const again = JSON.parse((await ok(['job', 'history', 'tick', '--collect', '--json'])).stdout) as { runs: Array<{ started_at: string }> };
    expect(new Set(again.runs.map((r) => r.started_at)).size).toBe(again.runs.length);

    await ok(['job', 'unschedule', 'tick']);
    expect((await fleet.exec('c1', 'ls /etc/cron.d/ /var/lib/promanager/textfile/')).stdout).not.toMatch(/promanager-job-tick|promanager_job_tick/);
    // the records stay on the host until collected or pruned
    expect((await runCli(['job', 'history', 'tick', '--collect'], { home, env })).code).toBe(0);
  }, TICK_WAIT_MS + 60_000);
});
