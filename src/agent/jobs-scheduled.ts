// Scheduled jobs on the host: the cron entry that runs the agent's job wrapper under flock, and the wrapper
// itself (`node agent.cjs job-cron <job dir>`), which runs the script under its timeout, writes the run record,
// keeps the last N, and publishes node_exporter textfile metrics so Prometheus can alert on a failing job.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cronAvailable, installCronEntry, removeCronEntry } from './cron.js';
import { AgentFailure } from './handlers.js';
import { JOB_METRICS, type ScheduleParams, type ScheduleResult, type UnscheduleResult } from './jobs-protocol.js';
import { runJobScript, type ScriptRun } from './jobs-runner.js';
import { checkJobName, jobDir, readJobFile, readJobFileIfAny, readLastSuccess, recordRun, recordSuccess, removeJobFile, runSucceeded, scriptPath, writeJobFile } from './jobs-store.js';
import { gauge, metricsFile, removeTextfileMetrics, writeTextfileMetrics } from './textfile.js';

const cronId = (job: string) => `job-${job}`;
export const jobMetricsName = (job: string) => `promanager_job_${job}`;
const metricsName = jobMetricsName;

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
  const textfile = metricsFile(metricsName(job), params.textfile_dir);
  // Metrics left in a directory the job no longer writes to would go stale and alert forever.
  const before = readJobFileIfAny(dir);
  if (before && before.textfile_dir !== params.textfile_dir) removeTextfileMetrics(metricsName(job), before.textfile_dir);
  const specChanged = writeJobFile({ spec: params.spec, schedule: params.schedule, keep_runs: params.keep_runs, script_path: script, textfile_dir: params.textfile_dir });
  const entry = installCronEntry({ id: cronId(job), schedule: params.schedule, command: cronCommand(flock, dir) });
  return { changed: specChanged || entry.changed, where: entry.where, cron_running: cron.daemonRunning ?? null, job_dir: dir, textfile };
}

export function unscheduleJob(job: string): UnscheduleResult {
  checkJobName(job);
  const entry = removeCronEntry(cronId(job));
  const scheduled = readJobFileIfAny(jobDir(job));
  const metrics = removeTextfileMetrics(metricsName(job), scheduled?.textfile_dir ?? null);
  const spec = removeJobFile(job);
  return { changed: entry.changed || metrics || spec, where: entry.where };
}

export function jobMetrics(job: string, run: Pick<ScriptRun, 'exit_code' | 'timed_out' | 'duration_ms' | 'ended_at'>, lastSuccessAt: string | null): string {
  const labels = { job };
  const seconds = (iso: string) => Date.parse(iso) / 1000;
  return [
    // A run killed by a signal or the timeout has no exit code: -1 still reads as "not 0" in an alert.
    gauge(JOB_METRICS.exitCode, 'Exit code of the last run (scheduled or on demand) of a promanager job (-1: killed or timed out).', [{ labels, value: run.timed_out || run.exit_code === null ? -1 : run.exit_code }]),
    gauge(JOB_METRICS.lastSuccess, 'When the last successful run of a promanager job ended (0: never).', [{ labels, value: lastSuccessAt ? seconds(lastSuccessAt) : 0 }]),
    gauge(JOB_METRICS.duration, 'How long the last run of a promanager job took.', [{ labels, value: run.duration_ms / 1000 }]),
    gauge(JOB_METRICS.lastRun, 'When the last run of a promanager job ended.', [{ labels, value: seconds(run.ended_at) }]),
  ].join('');
}

/** `job-cron <job dir>`: one scheduled run. Exits 0 once the run is recorded, whatever the script did. */
export async function runScheduled(args: string[]): Promise<number> {
  const dir = args[0];
  if (!dir) throw new Error('usage: job-cron <job dir>');
  const job = readJobFile(dir);
  const run = await runJobScript(job.spec, job.script_path);
  recordRun(dir, job, run);
  publishJobMetrics(job.spec.job, run, job.textfile_dir ?? null);
  return 0;
}

/**
 * Every run, scheduled or on demand, publishes the job's metrics, so an alert follows `job run` at once instead
 * of the next cron tick. `dir` is the textfile directory in force (null: the default).
 */
export function publishJobMetrics(job: string, run: ScriptRun, dir: string | null): string {
  const jobDirectory = jobDir(job);
  if (runSucceeded(run)) recordSuccess(jobDirectory, run.ended_at);
  return writeTextfileMetrics(metricsName(job), jobMetrics(job, run, readLastSuccess(jobDirectory)), dir);
}
