// Jobs (scripts defined on the controller, run and scheduled on hosts) and their runs. Script bodies and run
// output live in files beside the database, addressed by hash.
import { z } from 'zod';

const id = z.number().int().positive();
const stamps = { create_at: z.string(), update_at: z.string() };

export const jobSchema = z.object({
  id,
  job_name: z.string().min(1),
  /** sha256 of the script content, stored under $PROMANAGER_HOME/scripts/<sha256> */
  script_sha256: z.string(),
  version: z.number().int().positive(),
  interpreter: z.string(),
  args: z.array(z.string()),
  env: z.record(z.string()),
  timeout_s: z.number().int().positive(),
  cron: z.string().nullable(),
  cluster_id: id.nullable(),
  selector: z.string().nullable(),
  run_as: z.string().nullable(),
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
  /** file name under $PROMANAGER_HOME/job-output/, null when no output was kept */
  output_file: z.string().nullable(),
  output_bytes: z.number().int().nonnegative(),
  truncated: z.boolean(),
  ...stamps,
});

export type Job = z.infer<typeof jobSchema>;
export type JobRun = z.infer<typeof jobRunSchema>;
