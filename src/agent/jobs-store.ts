// What jobs leave on a host, under the agent's own directory (/var/lib/promanager as root,
// ~/.cache/promanager otherwise, mode 0700):
//   scripts/<sha256>          script bodies, content-addressed: uploaded once, shared by every job and version
//   jobs/<job>/job.json       the scheduled version (spec, schedule, runs to keep); present while scheduled
//   jobs/<job>/lock           held by flock(1) while a scheduled run is going, so runs never overlap
//   jobs/<job>/status.json    the last success, which outlives the run records kept
//   jobs/<job>/runs/<id>.json a scheduled run's record, beside <id>.log (its output, capped); the last N kept
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from './files.js';
import { keptOutput, type CollectResult, type HostRunRecord, type JobSpec, type StageParams, type StageResult } from './jobs-protocol.js';
import type { ScriptRun } from './jobs-runner.js';

export interface ScheduledJob {
  spec: JobSpec;
  schedule: string;
  keep_runs: number;
  script_path: string;
  textfile_dir: string | null;
}

/** The same directory the bootstrap puts the agent in; PROMANAGER_AGENT_BASE moves it (tests). */
export function agentBase(): string {
  if (process.env.PROMANAGER_AGENT_BASE) return process.env.PROMANAGER_AGENT_BASE;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? '/var/lib/promanager' : path.join(process.env.HOME || os.homedir(), '.cache', 'promanager');
}

export function checkJobName(job: string): string {
  if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(job)) throw new Error(`job name '${job}' is not safe as a file name`);
  return job;
}

export function scriptPath(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`'${sha256}' is not a sha256`);
  return path.join(agentBase(), 'scripts', sha256);
}

export function jobDir(job: string): string {
  return path.join(agentBase(), 'jobs', checkJobName(job));
}

function sha256Of(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/** Present when a file with that content is there (checked, not trusted by name); written when content came. */
export function stageScript(params: StageParams): StageResult {
  const file = scriptPath(params.sha256);
  if (sha256Of(file) === params.sha256) return { present: true, path: file };
  if (params.content === undefined) return { present: false, path: file };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic({ path: file, content: params.content, sha256: params.sha256, mode: 0o600 });
  return { present: true, path: file };
}

function writeJson(file: string, value: unknown): boolean {
  return writeFileAtomic({ path: file, content: Buffer.from(JSON.stringify(value, null, 1) + '\n').toString('base64'), mode: 0o600, mkdir: true }).changed;
}

export function writeJobFile(job: ScheduledJob): boolean {
  return writeJson(path.join(jobDir(job.spec.job), 'job.json'), job);
}

export function readJobFile(dir: string): ScheduledJob {
  return JSON.parse(readFileSync(path.join(dir, 'job.json'), 'utf8')) as ScheduledJob;
}

/** The scheduled job, or null when it is not scheduled (never was, or unscheduled). */
export function readJobFileIfAny(dir: string): ScheduledJob | null {
  try {
    return readJobFile(dir);
  } catch {
    return null;
  }
}

/** Forgets the schedule (job.json, lock); the run records stay until collected or pruned. */
export function removeJobFile(job: string): boolean {
  const dir = jobDir(job);
  rmSync(path.join(dir, 'lock'), { force: true });
  try {
    unlinkSync(path.join(dir, 'job.json'));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export function readLastSuccess(dir: string): string | null {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'status.json'), 'utf8')) as { last_success_at: string | null }).last_success_at;
  } catch {
    return null;
  }
}

/** The last success outlives the run records kept; on-demand runs count too. */
export function recordSuccess(dir: string, at: string): void {
  writeJson(path.join(dir, 'status.json'), { last_success_at: at });
}

export function runSucceeded(run: Pick<ScriptRun, 'exit_code' | 'timed_out'>): boolean {
  return run.exit_code === 0 && !run.timed_out;
}

/** Writes the run's log and record (record last, so a record always has its log), then prunes to keep_runs. */
export function recordRun(dir: string, job: ScheduledJob, run: ScriptRun): HostRunRecord {
  const runs = path.join(dir, 'runs');
  mkdirSync(runs, { recursive: true, mode: 0o700 });
  const id = `${Date.parse(run.started_at)}-${process.pid}`;
  const record: HostRunRecord = {
    id, job: job.spec.job, version: job.spec.version, script_sha256: job.spec.script_sha256,
    started_at: run.started_at, ended_at: run.ended_at, duration_ms: run.duration_ms,
    exit_code: run.exit_code, signal: run.signal, timed_out: run.timed_out,
    output_bytes: run.output_bytes, truncated: run.truncated,
  };
  writeFileAtomic({ path: path.join(runs, `${id}.log`), content: Buffer.from(keptOutput(run)).toString('base64'), mode: 0o600 });
  writeJson(path.join(runs, `${id}.json`), record);
  if (runSucceeded(run)) recordSuccess(dir, run.ended_at);
  for (const old of recordIds(dir).slice(0, -Math.max(1, job.keep_runs))) {
    rmSync(path.join(runs, `${old}.json`), { force: true });
    rmSync(path.join(runs, `${old}.log`), { force: true });
  }
  return record;
}

/** Record ids, oldest first (ids start with the start time in ms, 13 digits until the year 2286). */
function recordIds(dir: string): string[] {
  try {
    return readdirSync(path.join(dir, 'runs')).filter((f) => /^\d+-\d+\.json$/.test(f)).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

export function collectRecords(job: string, known: string[]): CollectResult {
  const dir = jobDir(job);
  const have = new Set(known);
  const records: CollectResult['records'] = [];
  for (const id of recordIds(dir)) {
    if (have.has(id)) continue;
    try {
      const record = JSON.parse(readFileSync(path.join(dir, 'runs', `${id}.json`), 'utf8')) as HostRunRecord;
      let output = '';
      try {
        output = readFileSync(path.join(dir, 'runs', `${id}.log`), 'utf8');
      } catch {
        // pruned between listing and reading: the record alone still counts
      }
      records.push({ ...record, output });
    } catch {
      // a record pruned or half-removed under us: skip it, the next collect sees the state settled
    }
  }
  return { records };
}
