// The job methods of the agent protocol, shared by the controller and the agent: types, names and the one
// formatting rule both sides must agree on (how capped output is kept).
//
//   job_stage    { sha256, content? }  -> { present, path }   script bodies are content-addressed on the host
//   job_run      { spec, textfile_dir } -> JobRunResult        events: 'output' { stream, text }
//   job_schedule { spec, schedule, keep_runs } -> ScheduleResult
//   job_unschedule { job }             -> UnscheduleResult
//   job_collect  { job, known }        -> { records }          scheduled-run records the controller lacks

/** Everything a host needs to run one version of a job; sent with every run and kept in job.json when scheduled. */
export interface JobSpec {
  job: string;
  version: number;
  script_sha256: string;
  /** from the script's shebang ('/usr/bin/env python3'), else '/bin/sh' */
  interpreter: string;
  args: string[];
  env: Record<string, string>;
  timeout_s: number;
  /** run as this user (needs root on the host); null: the user the agent runs as */
  run_as: string | null;
  /** output kept (and streamed) per run; beyond it only the tail is kept and the rest counted */
  max_output_bytes: number;
}

export interface StageParams {
  sha256: string;
  /** base64; sent only after the host said it lacks the script */
  content?: string;
}

export interface StageResult {
  present: boolean;
  path: string;
}

export interface OutputEvent {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface JobRunResult {
  started_at: string;
  ended_at: string;
  duration_ms: number;
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  /** bytes the script wrote in all (stdout and stderr) */
  output_bytes: number;
  truncated: boolean;
  /** when truncated: the last part of the output (the first max_output_bytes were streamed) */
  tail: string;
  /** the metrics file this run updated (node_exporter's textfile directory) */
  textfile?: string;
}

export interface ScheduleParams {
  spec: JobSpec;
  schedule: string;
  /** run records kept on the host */
  keep_runs: number;
  /** node_exporter's textfile directory on this host (host var node_exporter_textfile_dir); null: the default */
  textfile_dir: string | null;
}

export interface ScheduleResult {
  changed: boolean;
  /** the cron file, or "crontab of <user>" */
  where: string;
  /** null when it could not be told */
  cron_running: boolean | null;
  job_dir: string;
  /** the metrics file each run rewrites */
  textfile: string;
}

export interface UnscheduleResult {
  changed: boolean;
  where: string;
}

/** One scheduled run as the host recorded it (runs/<id>.json beside runs/<id>.log). */
export interface HostRunRecord {
  /** `<start ms>-<pid>`: unique per host, sorts by time */
  id: string;
  job: string;
  version: number;
  script_sha256: string;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  output_bytes: number;
  truncated: boolean;
}

export interface CollectParams {
  job: string;
  /** record ids the controller already has */
  known: string[];
}

export interface CollectResult {
  records: Array<HostRunRecord & { output: string }>;
}

export const JOB_METRICS = {
  exitCode: 'promanager_job_last_exit_code',
  lastSuccess: 'promanager_job_last_success_timestamp_seconds',
  duration: 'promanager_job_duration_seconds',
  lastRun: 'promanager_job_last_run_timestamp_seconds',
} as const;

/** The output as kept: the streamed head, and past the cap a note of what was left out and the tail. */
export function keptOutput(run: { head: string; tail: string; truncated: boolean; output_bytes: number }): string {
  if (!run.truncated) return run.head;
  const omitted = run.output_bytes - Buffer.byteLength(run.head) - Buffer.byteLength(run.tail);
  return `${run.head}\n[promanager: output capped, ${omitted} bytes left out of ${run.output_bytes}; the last ${Buffer.byteLength(run.tail)} follow]\n${run.tail}`;
}
