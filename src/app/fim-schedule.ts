// `fim schedule` / `fim unschedule`: a cron entry on each host that checks the policy against the host copy of
// the baseline under nice/ionice, journals what changed and writes textfile metrics. The copy is the
// controller's baseline, sent again first if the host's differs.
import { nextRuns, parseCron } from '../core/cron.js';
import type { TargetOptions } from '../core/targets.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { HostSession } from '../remote/session.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { currentRow } from './fim-collect.js';
import { trustedBaseline, uploadBaseline } from './fim-files.js';
import { planFim, type FimPlan, type PolicyPlan } from './fim-plan.js';
import { runRemote, type RemoteRun } from './remote-run.js';
import { textfileDirVar } from '../components/textfile-dir.js';

export interface ScheduleHostResult {
  policy: string;
  schedule: string | null;
  /** the cron file or crontab the entry went to (or was removed from) */
  where: string;
  changed: boolean;
  uploaded: boolean;
  /** next runs in the host's local time as the controller computes it (informative) */
  next_runs: string[];
  /** false: cron is installed but its daemon is not running there, so the entry will not fire */
  cron_running: boolean | null;
}

function planned(plan: FimPlan, host: HostView): PolicyPlan {
  return plan.byHost.get(host.id)![0]!;
}

async function install(ctx: Context, session: HostSession, host: HostView, p: PolicyPlan, schedule: string): Promise<Omit<ScheduleHostResult, 'next_runs'>> {
  if (!p.row) throw new Error(`no baseline of '${p.policy.policy_name}' on this host yet: run promanager fim baseline ${p.policy.policy_name} first`);
  const base = { policy: p.policy.policy_name, schedule, uploaded: false, cron_running: null };
  if (ctx.globals.dryRun) return { ...base, where: '(dry run: nothing installed)', changed: false };
  const file = await trustedBaseline(ctx.store.home, p.row);
  const agent = await session.agent();
  const params = { spec: p.spec, baseline_sha256: p.row.sha256, schedule, textfile_dir: textfileDirVar(host.vars, host.name) };
  let r = await agent.call<{ need_baseline?: boolean; where: string; changed: boolean; cron_running?: boolean | null }>('fim_schedule', params);
  if (r.need_baseline) {
    await uploadBaseline(agent, p.policy.policy_name, file, p.row.sha256);
    r = await agent.call('fim_schedule', params);
    base.uploaded = true;
  }
  return { ...base, where: r.where, changed: r.changed, cron_running: r.cron_running ?? null };
}

export async function schedulePolicy(ctx: Context, targets: TargetOptions & { limit?: string }, policyName: string, expression: string, onEvent?: (e: FanoutEvent<ScheduleHostResult>, h: HostView) => void): Promise<RemoteRun<ScheduleHostResult>> {
  const cron = parseCron(expression);
  const plan = await planFim(ctx, targets, policyName);
  const next = nextRuns(cron, ctx.now(), 3).map((d) => d.toISOString());
  return runRemote<ScheduleHostResult>(ctx, {
    permission: 'operate',
    targets: plan.targets,
    mutating: true,
    defaultTimeoutS: 300,
    work: async (session, host) => ({ ...(await install(ctx, session, host, planned(plan, host), cron.expression)), next_runs: next }),
    onEvent,
    persist: (state, outcomes, now) => {
      for (const o of outcomes) {
        const p = planned(plan, o.host);
        const row = o.ok && p.row ? currentRow(state, p.row) : null;
        if (row) Object.assign(row, { schedule: cron.expression, host_sha256: row.sha256, update_at: now });
      }
    },
  });
}

export async function unschedulePolicy(ctx: Context, targets: TargetOptions & { limit?: string }, policyName: string, onEvent?: (e: FanoutEvent<ScheduleHostResult>, h: HostView) => void): Promise<RemoteRun<ScheduleHostResult>> {
  const plan = await planFim(ctx, targets, policyName);
  return runRemote<ScheduleHostResult>(ctx, {
    permission: 'operate',
    targets: plan.targets,
    mutating: true,
    defaultTimeoutS: 120,
    work: async (session) => {
      const base = { policy: policyName, schedule: null, uploaded: false, next_runs: [], cron_running: null };
      if (ctx.globals.dryRun) return { ...base, where: '(dry run: nothing removed)', changed: false };
      const r = await (await session.agent()).call<{ where: string; changed: boolean }>('fim_unschedule', { policy: policyName });
      return { ...base, ...r };
    },
    onEvent,
    persist: (state, outcomes, now) => {
      for (const o of outcomes) {
        const p = planned(plan, o.host);
        const row = o.ok && p.row ? state.fim_baselines.find((b) => b.id === p.row!.id) : null;
        if (row) Object.assign(row, { schedule: null, update_at: now });
      }
    },
  });
}
