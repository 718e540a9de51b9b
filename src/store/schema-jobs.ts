// Jobs (scripts defined on the controller, run and scheduled on hosts) and their runs. Script bodies and run
// output live in files beside the database, addressed by hash; the database keeps references and facts only.
import { z } from 'zod';

const id = z.number().int().positive();
const stamps = { create_at: z.string(), update_at: z.string() };

/** One version of a job's script; a new content is a new version, old bodies stay for the history. */
export const jobVersionSchema = z.object({
  version: z.number().int().positive(),
  script_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  interpreter: z.string(),
  create_user: id.nullable(),
  create_at: z.string(),
});

/** Where the job is scheduled, with what it was scheduled with (a later change needs a new `job schedule`). */
export const jobScheduleSchema = z.object({
  host_id: id,
  version: z.number().int().positive(),
  cron: z.string(),
  at: z.string(),
});

export const jobSchema = z.object({
  id,
  job_name: z.string().min(1),
  /** sha256 of the current script, stored under $PROMANAGER_HOME/scripts/<sha256> */
  script_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  version: z.number().int().positive(),
  versions: z.array(jobVersionSchema).default([]),
  interpreter: z.string(),
  args: z.array(z.string()),
  env: z.record(z.string()),
  timeout_s: z.number().int().positive(),
  max_output_bytes: z.number().int().positive().default(1024 * 1024),
  /** scheduled-run records kept on each host */
  keep_runs: z.number().int().positive().default(20),
  cron: z.string().nullable(),
  cluster_id: id.nullable(),
  selector: z.string().nullable(),
  run_as: z.string().nullable(),
  scheduled_on: z.array(jobScheduleSchema).default([]),
  create_user: id.nullable(),
  ...stamps,
});

export const jobRunSchema = z.object({
  id,
  job_id: id,
  job_version: z.number().int().positive(),
  host_id: id,
  source: z.enum(['run', 'schedule']),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  timed_out: z.boolean(),
  /** why the run did not happen or did not finish (unreachable host, agent failure); null when it ran */
  error: z.string().nullable().default(null),
  /** the host's record id of a scheduled run, so collecting twice adds it once */
  host_record_id: z.string().nullable().default(null),
  /** file name under $PROMANAGER_HOME/job-output/, null when no output was kept */
  output_file: z.string().nullable(),
  /** bytes the script wrote in all; beyond the job's cap only a tail of them is in the file */
  output_bytes: z.number().int().nonnegative(),
  truncated: z.boolean(),
  ...stamps,
});

export type Job = z.infer<typeof jobSchema>;
export type JobRun = z.infer<typeof jobRunSchema>;
export type JobVersion = z.infer<typeof jobVersionSchema>;
