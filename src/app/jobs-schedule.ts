// `job schedule` and `job unschedule`: the job's cron entry on its hosts. The expression is checked and its
// next run times shown before any host is touched; each host gets the script (once), the job's spec and a
// cron entry running the agent's job wrapper, and the state remembers which version and schedule went where.
import { nextRuns, parseCron } from '../core/cron.js';
import { UsageError } from '../core/errors.js';
import type { ScheduleParams, ScheduleResult, UnscheduleResult } from '../agent/jobs-protocol.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { Job } from '../store/schema.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { readScript } from './jobs-files.js';
import { auditedAttempt, stageScript, stateHost } from './jobs-remote.js';
import { jobSpec } from './jobs-spec.js';
import { findJob, narrowedTargets, scheduledTargets, type CliTargets } from './jobs-targets.js';
import { runRemote, type RemoteRun } from './remote-run.js';
import { textfileDirVar } from '../components/textfile-dir.js';


export interface SchedulePlan {
  job: Job;
  cron: string;
  next_runs: Date[];
}

export interface HostSchedule extends ScheduleResult {
  version: number;
  script_uploaded: boolean;
}

/** The job's schedule, checked; throws before anything is installed when there is none or it is invalid. */
export function schedulePlan(ctx: Context, job: Job): SchedulePlan {
  if (!job.cron) {
    throw new UsageError(`job '${job.job_name}' has no cron schedule`, `give it one: promanager job add ${job.job_name} --script <file> --cron '<expr>'`);
  }
  return { job, cron: job.cron, next_runs: nextRuns(parseCron(job.cron), ctx.now(), 3) };
}

export async function scheduleJob(ctx: Context, name: string, cli: CliTargets, hooks: {
  onPlan?(plan: SchedulePlan): void;
  onEvent?(event: FanoutEvent<HostSchedule>, host: HostView): void;
} = {}): Promise<RemoteRun<HostSchedule>> {
  return auditedAttempt(ctx, [], async () => {
    const state = await ctx.store.read();
    const job = findJob(state, name);
    const plan = schedulePlan(ctx, job);
    hooks.onPlan?.(plan);
    const script = await readScript(ctx.store.home, job.script_sha256, job.job_name);
    const spec = jobSpec(job);
    return runRemote<HostSchedule>(ctx, {
      permission: 'operate',
      targets: narrowedTargets(state, job, cli),
      mutating: true,
      defaultTimeoutS: 120,
      work: async (session, host) => {
        const agent = await session.agent();
        const uploaded = await stageScript(agent, job.script_sha256, script);
        const params: ScheduleParams = { spec, schedule: plan.cron, keep_runs: job.keep_runs, textfile_dir: textfileDirVar(host.vars, host.name) };
        const result = await agent.call<ScheduleResult>('job_schedule', params);
        return { ...result, version: job.version, script_uploaded: uploaded };
      },
      onEvent: hooks.onEvent,
      persist: (fresh, outcomes, now) => {
        const current = fresh.jobs.find((j) => j.id === job.id);
        if (!current) return;
        for (const o of outcomes) {
          const host = o.ok ? stateHost(fresh, o.host) : null;
          if (!host) continue;
          current.scheduled_on = current.scheduled_on.filter((s) => s.host_id !== host.id);
          current.scheduled_on.push({ host_id: host.id, version: job.version, cron: plan.cron, at: now });
        }
      },
    });
  });
}

export async function unscheduleJob(ctx: Context, name: string, cli: CliTargets, hooks: {
  onEvent?(event: FanoutEvent<UnscheduleResult>, host: HostView): void;
} = {}): Promise<RemoteRun<UnscheduleResult>> {
  return auditedAttempt(ctx, [], async () => {
    const state = await ctx.store.read();
    const job = findJob(state, name);
    return runRemote<UnscheduleResult>(ctx, {
      permission: 'operate',
      targets: scheduledTargets(state, job, cli),
      mutating: true,
      defaultTimeoutS: 60,
      work: async (session) => (await session.agent()).call<UnscheduleResult>('job_unschedule', { job: job.job_name }),
      onEvent: hooks.onEvent,
      persist: (fresh, outcomes) => {
        const current = fresh.jobs.find((j) => j.id === job.id);
        if (!current) return;
        const removed = new Set(outcomes.filter((o) => o.ok).map((o) => stateHost(fresh, o.host)?.id));
        current.scheduled_on = current.scheduled_on.filter((s) => !removed.has(s.host_id));
      },
    });
  });
}
