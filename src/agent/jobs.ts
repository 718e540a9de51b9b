// Agent methods for jobs (see jobs-protocol.ts for their shapes). Registered in handlers.ts.
import { existsSync } from 'node:fs';
import { AgentFailure, type Handler } from './handlers.js';
import type { CollectParams, JobRunResult, JobSpec, ScheduleParams, StageParams } from './jobs-protocol.js';
import { runJobScript } from './jobs-runner.js';
import { publishJobMetrics, runScheduled, scheduleJob, unscheduleJob } from './jobs-scheduled.js';
import { alignTextfileDir } from './textfile-align.js';
import { textfileDirParam } from './textfile.js';
import { checkJobName, collectRecords, scriptPath, stageScript } from './jobs-store.js';

function params<T>(value: unknown, required: string[]): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AgentFailure('bad_request', 'params must be an object');
  for (const key of required) {
    if ((value as Record<string, unknown>)[key] === undefined) throw new AgentFailure('bad_request', `param '${key}' is required`);
  }
  return value as T;
}

function checkSpec(spec: JobSpec): JobSpec {
  try {
    checkJobName(spec.job);
  } catch (err) {
    throw new AgentFailure('bad_request', (err as Error).message);
  }
  if (!(spec.timeout_s > 0) || !(spec.max_output_bytes > 0)) throw new AgentFailure('bad_request', 'timeout_s and max_output_bytes must be positive');
  return spec;
}

export const jobHandlers: Record<string, Handler> = {
  job_stage: (p) => stageScript(params<StageParams>(p, ['sha256'])),
  job_run: async (p, ctx): Promise<JobRunResult> => {
    const rp = params<{ spec: JobSpec; textfile_dir?: string | null }>(p, ['spec']);
    const spec = checkSpec(rp.spec);
    const script = scriptPath(spec.script_sha256);
    if (!existsSync(script)) throw new AgentFailure('not_found', `script ${spec.script_sha256} is not staged on this host`);
    // The head is streamed as it comes; only the tail travels in the result.
    const { head: _streamed, ...result } = await runJobScript(spec, script, (event) => ctx.emit('output', event));
    const dir = textfileDirParam(rp.textfile_dir);
    alignTextfileDir(dir);
    return { ...result, textfile: publishJobMetrics(spec.job, { ...result, head: '' }, dir) };
  },
  job_schedule: (p) => {
    const sp = params<ScheduleParams>(p, ['spec', 'schedule', 'keep_runs']);
    const dir = textfileDirParam(sp.textfile_dir);
    alignTextfileDir(dir);
    return scheduleJob({ ...sp, spec: checkSpec(sp.spec), textfile_dir: dir });
  },
  job_unschedule: (p) => unscheduleJob(params<{ job: string }>(p, ['job']).job),
  job_collect: (p) => {
    const cp = params<CollectParams>(p, ['job', 'known']);
    return collectRecords(checkJobName(cp.job), cp.known);
  },
};

/** Modes run as `node agent.cjs <mode> [args]` (from cron or as a service supervisor), not over the protocol. */
export const jobModes: Record<string, (args: string[]) => Promise<number>> = {
  'job-cron': runScheduled,
};
