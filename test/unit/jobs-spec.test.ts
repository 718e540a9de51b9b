// The controller's job rules without hosts: names, interpreters, env pairs, sizes, verdicts, the targets a
// job command reaches, and the bounded run history.
import { mkdtempSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/core/errors.js';
import { appendRuns, HISTORY_KEEP, runFailed, type NewRun } from '../../src/app/jobs-records.js';
import { interpreterOf, parseEnvPairs, parseSize, runFailure, validateJobName } from '../../src/app/jobs-spec.js';
import { narrowedTargets, scheduledTargets } from '../../src/app/jobs-targets.js';
import { emptyState, type Job, type State } from '../../src/store/schema.js';

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('job definitions', () => {
  it('accepts names safe as file names, cron ids and metric labels, and nothing else', () => {
    for (const ok of ['backup', 'db.backup', 'log_rotate-2', '0day', 'x'.repeat(63)]) expect(validateJobName(ok)).toBe(ok);
    for (const bad of ['', '../etc', 'a/b', 'Backup', '.hidden', '-rf', '_x', 'a b', 'x'.repeat(64), 'naïve', 'a;rm']) {
      expect(usage(() => validateJobName(bad))).toContain(`invalid job name '${bad}'`);
    }
  });

  it('takes the interpreter from the shebang, else sh', () => {
    expect(interpreterOf('echo hi\n')).toBe('/bin/sh');
    expect(interpreterOf('#!/bin/bash\necho hi\n')).toBe('/bin/bash');
    expect(interpreterOf('#! /usr/bin/env python3\r\nprint(1)\n')).toBe('/usr/bin/env python3');
    expect(usage(() => interpreterOf('#!python\n'))).toContain('does not name an interpreter by absolute path');
  });

  it('parses NAME=value pairs, values may hold = and be empty', () => {
    expect(parseEnvPairs(['A=1', 'URL=http://x/?a=b', 'EMPTY='])).toEqual({ A: '1', URL: 'http://x/?a=b', EMPTY: '' });
    expect(usage(() => parseEnvPairs(['NOVALUE']))).toContain("--env 'NOVALUE' is not NAME=value");
    expect(usage(() => parseEnvPairs(['1A=x']))).toContain('is not NAME=value');
  });

  it('reads sizes in bytes, k and m', () => {
    expect(parseSize('4096', 'x')).toBe(4096);
    expect(parseSize('512k', 'x')).toBe(512 * 1024);
    expect(parseSize('4M', 'x')).toBe(4 * 1024 * 1024);
    expect(parseSize('2MiB', 'x')).toBe(2 * 1024 * 1024);
    expect(usage(() => parseSize('10', '--max-output'))).toContain("--max-output '10' must be a size from 1k to 256m");
    expect(usage(() => parseSize('1g', '--max-output'))).toContain('must be a size');
  });

  it('calls a run failed for a non-zero exit, a signal or the timeout, saying which', () => {
    expect(runFailure({ exit_code: 0, signal: null, timed_out: false }, 5)).toBeNull();
    expect(runFailure({ exit_code: 2, signal: null, timed_out: false }, 5)).toBe('exit code 2');
    expect(runFailure({ exit_code: null, signal: 'SIGKILL', timed_out: false }, 5)).toBe('killed by signal SIGKILL');
    expect(runFailure({ exit_code: null, signal: 'SIGTERM', timed_out: true }, 5)).toBe('timed out after 5 s; its process group was ended');
    expect(runFailed({ exit_code: 0, timed_out: false, error: 'unreachable' })).toBe(true);
  });
});

function stateWithJob(over: Partial<Job> = {}): { state: State; job: Job } {
  const now = '2024-01-01T00:00:00.000Z';
  const state = emptyState(now);
  state.clusters.push({ id: 1, cluster_name: 'prod', description: '', create_user: null, vars: {}, ssh: {}, create_at: now, update_at: now });
  for (const [id, name] of [[1, 'db-1'], [2, 'db-2']] as const) {
    state.hosts.push({ id, cluster_id: 1, ip: `10.0.0.${id}`, name, hostname: null, cpu: null, mem: null, root: null, os: null, status: 'unknown', ssh: {}, vars: {}, create_at: now, update_at: now });
  }
  const job: Job = {
    id: 1, job_name: 'backup', script_sha256: 'a'.repeat(64), version: 1, versions: [], interpreter: '/bin/sh', args: [], env: {},
    timeout_s: 60, max_output_bytes: 1024, keep_runs: 5, cron: null, cluster_id: 1, selector: 'role=db', run_as: null,
    scheduled_on: [], create_user: null, create_at: now, update_at: now, ...over,
  };
  state.jobs.push(job);
  return { state, job };
}

describe('job targets', () => {
  it("narrows the job's own targets with the flags, never widens them", () => {
    const { state, job } = stateWithJob();
    expect(narrowedTargets(state, job, {})).toEqual({ cluster: 'prod', selector: 'role=db', hosts: undefined, limit: undefined });
    expect(narrowedTargets(state, job, { selector: 'zone=a', hosts: 'db-*', limit: '@failed' })).toEqual({ cluster: 'prod', selector: 'role=db,zone=a', hosts: 'db-*', limit: '@failed' });
    expect(usage(() => narrowedTargets(state, job, { cluster: 'dev' }))).toContain("job 'backup' runs on cluster 'prod'; -c dev selects none of its hosts");
  });

  it('unschedules where the job is scheduled unless told otherwise', () => {
    const { state, job } = stateWithJob({ scheduled_on: [{ host_id: 2, version: 1, cron: '@daily', at: '' }, { host_id: 99, version: 1, cron: '@daily', at: '' }] });
    expect(scheduledTargets(state, job, {})).toEqual({ hosts: 'db-2' });
    expect(scheduledTargets(state, job, { hosts: 'db-1' })).toEqual({ hosts: 'db-1' });
    job.scheduled_on = [];
    expect(scheduledTargets(state, job, {})).toMatchObject({ cluster: 'prod', selector: 'role=db' });
  });
});

describe('run history', () => {
  it(`keeps the last ${HISTORY_KEEP} runs per job and host, removing the output files of older ones`, () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pm-jobs-history-'));
    try {
      const { state } = stateWithJob();
      mkdirSync(path.join(home, 'job-output', 'backup'), { recursive: true });
      const run = (i: number, hostId: number): NewRun => {
        const output_file = path.join('backup', `h${hostId}-${i}.log`);
        writeFileSync(path.join(home, 'job-output', output_file), 'x');
        return {
          job_id: 1, job_version: 1, host_id: hostId, source: 'run', started_at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(), ended_at: null,
          exit_code: 0, signal: null, timed_out: false, error: null, host_record_id: null, output_file, output_bytes: 1, truncated: false,
        };
      };
      appendRuns(state, home, Array.from({ length: HISTORY_KEEP }, (_, i) => run(i, 1)), 'now');
      appendRuns(state, home, [run(0, 2)], 'now');
      const added = appendRuns(state, home, [run(HISTORY_KEEP, 1), run(HISTORY_KEEP + 1, 1)], 'now');
      expect(added).toHaveLength(2);
      expect(state.job_runs.filter((r) => r.host_id === 1)).toHaveLength(HISTORY_KEEP);
      expect(state.job_runs.filter((r) => r.host_id === 2)).toHaveLength(1);
      expect(existsSync(path.join(home, 'job-output', 'backup', 'h1-0.log'))).toBe(false);
      expect(existsSync(path.join(home, 'job-output', 'backup', 'h1-2.log'))).toBe(true);
      expect(new Set(state.job_runs.map((r) => r.id)).size).toBe(state.job_runs.length);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
