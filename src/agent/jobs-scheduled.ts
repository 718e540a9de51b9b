// Scheduled jobs on the host: the cron entry that runs the agent's job wrapper under flock, and the wrapper
// itself (`node agent.cjs job-cron <job dir>`), which runs the script under its timeout, writes the run record,
// keeps the last N, and publishes node_exporter textfile metrics so Prometheus can alert on a failing job.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cronAvailable, installCronEntry, removeCronEntry } from './cron.js';
import { AgentFailure } from './handlers.js';
import { JOB_METRICS, type ScheduleParams, type ScheduleResult, type UnscheduleResult } from './jobs-protocol.js';
import { runJobScript, type ScriptRun } from './jobs-runner.js';
import { checkJobName, jobDir, readJobFile, readJobFileIfAny, readLastSuccess, recordRun, removeJobFile, runSucceeded, scriptPath, writeJobFile } from './jobs-store.js';
import { gauge, removeTextfileMetrics, textfileDir, writeTextfileMetrics } from './textfile.js';

const cronId = (job: string) => `job-${job}`;
const metricsName = (job: string) => `promanager_job_${job}`;

/** The textfile helpers read their directory from the environment: a job's own directory applies around `work`. */
function inTextfileDir<T>(dir: string | null, work: () => T): T {
  if (dir === null) return work();
  const saved = process.env.PROMANAGER_TEXTFILE_DIR;
  process.env.PROMANAGER_TEXTFILE_DIR = dir;
  try {
    return work();
  } finally {
    if (saved === undefined) delete process.env.PROMANAGER_TEXTFILE_DIR;
    else process.env.PROMANAGER_TEXTFILE_DIR = saved;
  }
}

/** Agent-local: the agent bundle cannot reach the controller's quoting helper, and a cron line is a shell line. */
function shQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function findFlock(): string {
  const flock = ['/usr/bin/flock', '/bin/flock'].find((p) => existsSync(p));
  if (!flock) throw new AgentFailure('failed', 'flock(1) is missing on this host, and it keeps scheduled runs from overlapping: install the Debian package util-linux');
  return flock;
}

/** The cron command: flock -n skips a tick while the previous run still holds the lock. */
export function cronCommand(flock: string, dir: string): string {
  return [flock, '-n', path.join(dir, 'lock'), process.execPath, __filename, 'job-cron', dir].map(shQuote).join(' ') +
    ` >>${shQuote(path.join(dir, 'wrapper.log'))} 2>&1`;
}

export function scheduleJob(params: ScheduleParams): ScheduleResult {
  const job = checkJobName(params.spec.job);
  const cron = cronAvailable();
  if (!cron.ok) throw new AgentFailure('failed', cron.reason ?? 'cron is not usable on this host');
  const flock = findFlock();
  const script = scriptPath(params.spec.script_sha256);
  if (!existsSync(script)) throw new AgentFailure('not_found', `script ${params.spec.script_sha256} is not staged on this host`);
  const dir = jobDir(job);
  const textfile = inTextfileDir(params.textfile_dir, () => path.join(textfileDir(), `${metricsName(job)}.prom`));
  // Metrics left in a directory the job no longer writes to would go stale and alert forever.
  const before = readJobFileIfAny(dir);
  if (before && before.textfile_dir !== params.textfile_dir) inTextfileDir(before.textfile_dir, () => removeTextfileMetrics(metricsName(job)));
  const specChanged = writeJobFile({ spec: params.spec, schedule: params.schedule, keep_runs: params.keep_runs, script_path: script, textfile_dir: params.textfile_dir });
  const entry = installCronEntry({ id: cronId(job), schedule: params.schedule, command: cronCommand(flock, dir) });
  return { changed: specChanged || entry.changed, where: entry.where, cron_running: cron.daemonRunning ?? null, job_dir: dir, textfile };
}

export function unscheduleJob(job: string): UnscheduleResult {
  checkJobName(job);
  const entry = removeCronEntry(cronId(job));
  const scheduled = readJobFileIfAny(jobDir(job));
  const metrics = inTextfileDir(scheduled?.textfile_dir ?? null, () => removeTextfileMetrics(metricsName(job)));
  const spec = removeJobFile(job);
  return { changed: entry.changed || metrics || spec, where: entry.where };
}

export function jobMetrics(job: string, run: Pick<ScriptRun, 'exit_code' | 'timed_out' | 'duration_ms' | 'ended_at'>, lastSuccessAt: string | null): string {
  const labels = { job };
  const seconds = (iso: string) => Date.parse(iso) / 1000;
  return [
    // A run killed by a signal or the timeout has no exit code: -1 still reads as "not 0" in an alert.
    gauge(JOB_METRICS.exitCode, 'Exit code of the last scheduled run of a promanager job (-1: killed or timed out).', [{ labels, value: run.timed_out || run.exit_code === null ? -1 : run.exit_code }]),
    gauge(JOB_METRICS.lastSuccess, 'When the last successful scheduled run of a promanager job ended (0: never).', [{ labels, value: lastSuccessAt ? seconds(lastSuccessAt) : 0 }]),
    gauge(JOB_METRICS.duration, 'How long the last scheduled run of a promanager job took.', [{ labels, value: run.duration_ms / 1000 }]),
    gauge(JOB_METRICS.lastRun, 'When the last scheduled run of a promanager job ended.', [{ labels, value: seconds(run.ended_at) }]),
  ].join('');
}

/** `job-cron <job dir>`: one scheduled run. Exits 0 once the run is recorded, whatever the script did. */
export async function runScheduled(args: string[]): Promise<number> {
  const dir = args[0];
  if (!dir) throw new Error('usage: job-cron <job dir>');
  const job = readJobFile(dir);
  const run = await runJobScript(job.spec, job.script_path);
  recordRun(dir, job, run);
  const lastSuccess = runSucceeded(run) ? run.ended_at : readLastSuccess(dir);
  inTextfileDir(job.textfile_dir ?? null, () => writeTextfileMetrics(metricsName(job.spec.job), jobMetrics(job.spec.job, run, lastSuccess)));
  return 0;
}
