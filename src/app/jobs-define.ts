// `job add` and `job remove`: the job table on the controller. Adding a job again updates it: a new script
// content is a new version (old bodies stay for the history), options not given keep their values.
import { readFile } from 'node:fs/promises';
import { parseCron, type CronSchedule } from '../core/cron.js';
import { PromanagerError, UsageError } from '../core/errors.js';
import { parseSelector } from '../core/selector.js';
import { findCluster, nextId } from '../store/fleet.js';
import type { Job } from '../store/schema.js';
import type { Context } from './context.js';
import { pruneScripts, removeOutputs, sha256Hex, storeScript } from './jobs-files.js';
import { formatBytes, interpreterOf, JOB_DEFAULTS, validateJobName } from './jobs-spec.js';
import { clusterNameOf, findJob, jobClusterIds } from './jobs-targets.js';
import { confirmOrThrow } from './read.js';
import { transact } from './transaction.js';

export interface JobInput {
  name: string;
  scriptFile: string;
  /** undefined: keep; null: no schedule (--no-cron) */
  cron?: string | null;
  timeoutS?: number;
  args?: string[];
  env?: Record<string, string>;
  runAs?: string;
  cluster?: string;
  selector?: string;
  maxOutputBytes?: number;
  keepRuns?: number;
}

export interface AddJobResult {
  job: Job;
  created: boolean;
  /** the script changed: this is a new version */
  new_version: boolean;
  changed: boolean;
  schedule: CronSchedule | null;
  /** hosts where an earlier version or schedule is installed: `job schedule` again updates them */
  outdated_hosts: number;
}

async function readScriptFile(file: string): Promise<Buffer> {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new PromanagerError(`cannot read script file '${file}': ${why}`, { hint: 'give the path of the script to run, e.g. --script ./backup.sh' });
  }
  if (content.length === 0) throw new PromanagerError(`script file '${file}' is empty`);
  if (content.length > JOB_DEFAULTS.max_script_bytes) {
    throw new PromanagerError(`script file '${file}' is ${formatBytes(content.length)}, over the ${formatBytes(JOB_DEFAULTS.max_script_bytes)} limit for a job script`, { hint: 'ship data with an artifact or a package; the job script should fetch or use it' });
  }
  return content;
}

/** Everything that can be checked without the state, so bad input fails before the lock is taken. */
function checkInput(input: JobInput): void {
  validateJobName(input.name);
  if (input.selector !== undefined) parseSelector(input.selector);
  if (input.runAs !== undefined && !/^[a-z_][a-z0-9_-]{0,31}\$?$/.test(input.runAs)) {
    throw new UsageError(`--run-as '${input.runAs}' is not a valid user name`);
  }
}

export async function addJob(ctx: Context, input: JobInput): Promise<AddJobResult> {
  checkInput(input);
  const content = await readScriptFile(input.scriptFile);
  const interpreter = interpreterOf(content.toString('utf8'));
  const sha = sha256Hex(content);
  const schedule = input.cron ? parseCron(input.cron) : null;
  return transact(ctx, async (tx) => {
    const { state } = tx;
    const existing = state.jobs.find((j) => j.job_name === input.name) ?? null;
    const clusterId = input.cluster !== undefined ? findCluster(state, input.cluster).id : (existing?.cluster_id ?? null);
    const ids = jobClusterIds(state, { cluster_id: clusterId });
    tx.require('operate', ids.length ? ids : null);
    if (existing && existing.cluster_id !== clusterId) tx.require('operate', jobClusterIds(state, existing));
    tx.touch({ clusters: ids.map((id) => clusterNameOf(state, id)!) });
    // Under the lock, so a concurrent `job remove` cannot prune the body between storing and referencing it.
    if (!ctx.globals.dryRun) await storeScript(ctx.store.home, content);

    const fields = {
      interpreter,
      args: input.args ?? existing?.args ?? [],
      env: input.env ?? existing?.env ?? {},
      timeout_s: input.timeoutS ?? existing?.timeout_s ?? JOB_DEFAULTS.timeout_s,
      max_output_bytes: input.maxOutputBytes ?? existing?.max_output_bytes ?? JOB_DEFAULTS.max_output_bytes,
      keep_runs: input.keepRuns ?? existing?.keep_runs ?? JOB_DEFAULTS.keep_runs,
      cron: input.cron === undefined ? (existing?.cron ?? null) : (schedule?.expression ?? null),
      cluster_id: clusterId,
      selector: input.selector ?? existing?.selector ?? null,
      run_as: input.runAs ?? existing?.run_as ?? null,
    };
    const newVersion = existing === null || existing.script_sha256 !== sha || existing.interpreter !== interpreter;
    const version = existing === null ? 1 : newVersion ? existing.version + 1 : existing.version;
    const versionRow = { version, script_sha256: sha, interpreter, create_user: tx.userId, create_at: tx.now };
    let job: Job;
    let changed = newVersion;
    if (existing === null) {
      job = { id: nextId(state.jobs), job_name: input.name, script_sha256: sha, version, versions: [versionRow], ...fields, scheduled_on: [], create_user: tx.userId, create_at: tx.now, update_at: tx.now };
      state.jobs.push(job);
    } else {
      job = existing;
      changed ||= (Object.keys(fields) as Array<keyof typeof fields>).some((k) => JSON.stringify(existing[k]) !== JSON.stringify(fields[k]));
      Object.assign(job, fields, { script_sha256: sha, version });
      if (newVersion) job.versions.push(versionRow);
      if (changed) job.update_at = tx.now;
    }
    const outdated = job.scheduled_on.filter((s) => s.version !== job.version || s.cron !== job.cron).length;
    return { job, created: existing === null, new_version: newVersion && existing !== null, changed, schedule: job.cron ? parseCron(job.cron) : null, outdated_hosts: outdated };
  });
}

export async function removeJob(ctx: Context, name: string, opts: { force: boolean }): Promise<{ job: Job; runs: number; forgotten_hosts: number }> {
  const preview = (await ctx.store.read()).jobs.find((j) => j.job_name === name);
  if (preview) await confirmOrThrow(ctx, `remove job '${name}' and its run history`);
  const removed = await transact(ctx, (tx) => {
    const job = findJob(tx.state, name);
    const ids = jobClusterIds(tx.state, job);
    tx.require('operate', ids.length ? ids : null);
    tx.touch({ clusters: ids.map((id) => clusterNameOf(tx.state, id)!) });
    if (job.scheduled_on.length > 0 && !opts.force) {
      const hosts = job.scheduled_on.map((s) => tx.state.hosts.find((h) => h.id === s.host_id)?.name ?? `#${s.host_id}`);
      throw new PromanagerError(`job '${name}' is still scheduled on ${hosts.length} host(s): ${hosts.join(', ')}`,
        { hint: `unschedule it first: promanager job unschedule ${name} (or --force to forget those hosts and leave their cron entries)` });
    }
    const runs = tx.state.job_runs.filter((r) => r.job_id === job.id);
    tx.state.jobs = tx.state.jobs.filter((j) => j.id !== job.id);
    tx.state.job_runs = tx.state.job_runs.filter((r) => r.job_id !== job.id);
    return { job, runs, forgotten_hosts: job.scheduled_on.length };
  });
  if (!ctx.globals.dryRun) {
    // Files go only after the state no longer refers to them, under the lock against a concurrent `job add`.
    await ctx.store.withLock(async () => {
      const fresh = await ctx.store.read();
      await removeOutputs(ctx.store.home, removed.runs.map((r) => r.output_file));
      await pruneScripts(ctx.store.home, new Set(fresh.jobs.flatMap((j) => [j.script_sha256, ...j.versions.map((v) => v.script_sha256)])));
    });
  }
  return { job: removed.job, runs: removed.runs.length, forgotten_hosts: removed.forgotten_hosts };
}
