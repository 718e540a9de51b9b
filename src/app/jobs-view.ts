// `job list` and `job show`: read-only views of the job table, with what users ask next (when does it run,
// where is it scheduled, which hosts still run an older version, how did the last runs go).
import path from 'node:path';
import { nextRuns, parseCron } from '../core/cron.js';
import type { Job, State } from '../store/schema.js';
import { requirePermission } from './actor.js';
import type { Context } from './context.js';
import { readScript } from './jobs-files.js';
import { runFailed } from './jobs-records.js';
import { clusterNameOf, findJob, jobsVisibleTo } from './jobs-targets.js';
import { beginRead } from './read.js';

export interface JobRow {
  job_name: string;
  version: number;
  interpreter: string;
  cron: string | null;
  cluster_name: string | null;
  selector: string | null;
  timeout_s: number;
  scheduled_hosts: number;
  last_run_at: string | null;
  /** hosts whose latest run failed */
  failing_hosts: number;
}

/** The latest run per host of a job. */
function latestRuns(state: State, job: Job) {
  const latest = new Map<number, State['job_runs'][number]>();
  for (const r of state.job_runs) {
    if (r.job_id !== job.id) continue;
    const seen = latest.get(r.host_id);
    if (!seen || r.started_at > seen.started_at) latest.set(r.host_id, r);
  }
  return [...latest.values()];
}

export async function listJobs(ctx: Context): Promise<JobRow[]> {
  const { state, actor } = await beginRead(ctx);
  return jobsVisibleTo(state, actor).map((job) => {
    const latest = latestRuns(state, job);
    return {
      job_name: job.job_name, version: job.version, interpreter: job.interpreter, cron: job.cron,
      cluster_name: clusterNameOf(state, job.cluster_id), selector: job.selector, timeout_s: job.timeout_s,
      scheduled_hosts: job.scheduled_on.length,
      last_run_at: latest.reduce<string | null>((max, r) => (max === null || r.started_at > max ? r.started_at : max), null),
      failing_hosts: latest.filter(runFailed).length,
    };
  });
}

export async function showJob(ctx: Context, name: string, opts: { script: boolean }): Promise<Record<string, unknown>> {
  const { state, actor } = await beginRead(ctx);
  const job = findJob(state, name);
  if (job.cluster_id !== null) requirePermission(state, actor, 'read', [job.cluster_id], ctx.command);
  const users = new Map(state.users.map((u) => [u.id, u.user_name]));
  const hostName = (id: number) => state.hosts.find((h) => h.id === id)?.name ?? `#${id}`;
  const record: Record<string, unknown> = {
    job_name: job.job_name,
    version: job.version,
    script_sha256: job.script_sha256,
    script_file: path.join(ctx.store.home, 'scripts', job.script_sha256),
    interpreter: job.interpreter,
    args: job.args,
    env: job.env,
    timeout_s: job.timeout_s,
    max_output_bytes: job.max_output_bytes,
    keep_runs: job.keep_runs,
    run_as: job.run_as,
    cluster_name: clusterNameOf(state, job.cluster_id),
    selector: job.selector,
    cron: job.cron,
    next_runs: job.cron ? nextRuns(parseCron(job.cron), ctx.now(), 3).map((d) => d.toISOString()) : [],
    scheduled_on: job.scheduled_on.map((s) => ({ host: hostName(s.host_id), version: s.version, cron: s.cron, at: s.at, outdated: s.version !== job.version || s.cron !== job.cron })),
    versions: job.versions.map((v) => ({ version: v.version, script_sha256: v.script_sha256, interpreter: v.interpreter, create_user: v.create_user === null ? null : (users.get(v.create_user) ?? v.create_user), create_at: v.create_at })),
    runs: state.job_runs.filter((r) => r.job_id === job.id).length,
    create_user: job.create_user === null ? null : (users.get(job.create_user) ?? job.create_user),
    create_at: job.create_at,
    update_at: job.update_at,
  };
  if (opts.script) record.script = (await readScript(ctx.store.home, job.script_sha256, job.job_name)).toString('utf8');
  return record;
}
