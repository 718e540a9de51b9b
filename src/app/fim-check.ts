// `fim check`: what scheduled checks journalled since last time is pulled in first, then each host scans its
// policy paths against its copy of the baseline (only while that copy is byte for byte the controller's; it is
// uploaded again otherwise) and streams back every difference. New differences become events; the complete
// drift is kept for `fim accept`. Exit 5 when anything was added, removed or modified.
import type { DriftEntry } from '../agent/fim-entry.js';
import type { CheckOutcome, ScanReport } from '../agent/fim-run.js';
import { ExitCode } from '../core/errors.js';
import type { TargetOptions } from '../core/targets.js';
import type { AgentClient } from '../remote/agent-client.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { currentRow, previewNewEvents, pullJournal, type PulledJournal } from './fim-collect.js';
import { recordFindings } from './fim-drift.js';
import { trustedBaseline, uploadBaseline } from './fim-files.js';
import { planFim, type PolicyPlan } from './fim-plan.js';
import { runRemote, type RemoteRun } from './remote-run.js';
import { textfileDirVar } from '../components/textfile-dir.js';

export type Change = Omit<DriftEntry, 'current'>;

export interface CheckPolicyResult {
  policy: string;
  error: string | null;
  added: number;
  removed: number;
  modified: number;
  unknown: number;
  /** events this check adds (differences not seen by an earlier check) */
  new_events: number;
  changes: Change[];
  report: ScanReport | null;
  /** the host copy of the baseline was missing or not the controller's and was sent again */
  uploaded: boolean;
  scheduled_runs_failed: Array<{ at: string; error: string }>;
  found: DriftEntry[] | null;
  journal: PulledJournal | null;
}

export interface CheckHostResult {
  policies: CheckPolicyResult[];
}

/** A host fails when any of its policies could not be checked. */
export function checkFailure(r: CheckHostResult): string | null {
  return r.policies.filter((p) => p.error).map((p) => `${p.policy}: ${p.error}`).join('; ') || null;
}

export const hasDrift = (r: CheckHostResult | null): boolean => (r?.policies ?? []).some((p) => p.error === null && p.added + p.removed + p.modified > 0);

function emptyResult(plan: PolicyPlan): CheckPolicyResult {
  return { policy: plan.policy.policy_name, error: null, added: 0, removed: 0, modified: 0, unknown: 0, new_events: 0, changes: [], report: null, uploaded: false, scheduled_runs_failed: [], found: null, journal: null };
}

async function scanAgainstBaseline(agent: AgentClient, plan: PolicyPlan, full: boolean, found: DriftEntry[], textfileDir: string | null): Promise<CheckOutcome | { need_baseline: true }> {
  found.length = 0;
  return agent.call<CheckOutcome | { need_baseline: true }>('fim_check', { spec: plan.spec, baseline_sha256: plan.row!.sha256, full, textfile_dir: textfileDir }, (event, data) => {
    if (event === 'drift') found.push(...(data as DriftEntry[]));
  });
}

async function checkOne(ctx: Context, agent: AgentClient, plan: PolicyPlan, full: boolean, textfileDir: string | null): Promise<CheckPolicyResult> {
  const result = emptyResult(plan);
  const row = plan.row;
  if (!row) {
    result.error = `no baseline yet: run promanager fim baseline ${plan.policy.policy_name}`;
    return result;
  }
  try {
    const file = await trustedBaseline(ctx.store.home, row);
    result.journal = await pullJournal(agent, plan.policy.policy_name, row.journal_offset);
    result.scheduled_runs_failed = result.journal.failed_runs;
    const found: DriftEntry[] = [];
    let outcome = await scanAgainstBaseline(agent, plan, full, found, textfileDir);
    if ('need_baseline' in outcome) {
      await uploadBaseline(agent, plan.policy.policy_name, file, row.sha256);
      result.uploaded = true;
      outcome = await scanAgainstBaseline(agent, plan, full, found, textfileDir);
      if ('need_baseline' in outcome) throw new Error('the host still does not hold the baseline after it was sent');
    }
    result.report = outcome.report;
    if (outcome.limit) {
      result.error = outcome.limit.message;
      return result;
    }
    Object.assign(result, { added: outcome.added, removed: outcome.removed, modified: outcome.modified, unknown: outcome.unknown, found });
    result.changes = found.map(({ current: _current, ...change }) => change);
    result.new_events = previewNewEvents(ctx.store.home, row, result.journal.lines, found, ctx.now().toISOString());
  } catch (err) {
    result.error = (err as Error).message;
  }
  return result;
}

export async function checkHosts(ctx: Context, targets: TargetOptions & { limit?: string }, policyName: string | undefined, full: boolean, onEvent?: (e: FanoutEvent<CheckHostResult>, h: HostView) => void): Promise<RemoteRun<CheckHostResult>> {
  const plan = await planFim(ctx, targets, policyName);
  const run = await runRemote<CheckHostResult>(ctx, {
    permission: 'operate',
    targets: plan.targets,
    mutating: true,
    defaultTimeoutS: 3600,
    work: async (session, host) => {
      const agent = await session.agent();
      const policies: CheckPolicyResult[] = [];
      const textfileDir = textfileDirVar(host.vars, host.name);
      for (const p of plan.byHost.get(host.id) ?? []) policies.push(await checkOne(ctx, agent, p, full, textfileDir));
      return { policies };
    },
    judge: checkFailure,
    successExitCode: (results) => (results.some((r) => hasDrift(r)) ? ExitCode.drift : ExitCode.ok),
    onEvent,
    persist: (state, outcomes, now) => {
      for (const o of outcomes) {
        const plans = plan.byHost.get(o.host.id) ?? [];
        for (const [i, r] of (o.result?.policies ?? []).entries()) {
          const planned = plans[i]?.row;
          const row = planned ? currentRow(state, planned) : null;
          if (!row || !r.journal) continue;
          // A check that failed half way still hands over what scheduled checks journalled.
          r.new_events = recordFindings(ctx.store.home, row, { journal: r.journal.lines, found: r.error === null ? r.found : null, now });
          row.journal_offset = r.journal.next_offset;
          if (r.uploaded) row.host_sha256 = row.sha256;
          row.update_at = now;
        }
      }
    },
  });
  return run;
}
