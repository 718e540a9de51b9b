// Pulling what scheduled checks journalled on hosts into the controller's events: part of every `fim check`,
// and on its own with `fim events --collect`. The host journal is read from the offset already pulled, so each
// line is taken once; a journal that shrank (recreated) is read again from its start.
import type { DriftEntry } from '../agent/fim-entry.js';
import type { JournalLine } from '../agent/fim-host.js';
import type { TargetOptions } from '../core/targets.js';
import type { AgentClient } from '../remote/agent-client.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { findingsToEvents, readDrift, recordFindings } from './fim-drift.js';
import { planFim, type PolicyPlan } from './fim-plan.js';
import { runRemote, type RemoteRun } from './remote-run.js';
import type { FimBaseline, State } from '../store/schema.js';

export interface PulledJournal {
  lines: JournalLine[];
  next_offset: number;
  /** scheduled runs that could not check (altered host copy, limit reached) */
  failed_runs: Array<{ at: string; error: string }>;
  last_run_at: string | null;
}

export async function pullJournal(agent: AgentClient, policy: string, offset: number): Promise<PulledJournal> {
  const pulled: PulledJournal = { lines: [], next_offset: offset, failed_runs: [], last_run_at: null };
  while (true) {
    const r = await agent.call<{ lines: string[]; next_offset: number; size: number; reset: boolean }>('fim_journal', { policy, offset: pulled.next_offset });
    if (r.reset) pulled.lines = [];
    for (const text of r.lines) {
      const line = JSON.parse(text) as JournalLine;
      pulled.lines.push(line);
      if (line.type === 'run') {
        pulled.last_run_at = line.at;
        if (line.error) pulled.failed_runs.push({ at: line.at, error: line.error });
      }
    }
    const advanced = r.next_offset !== pulled.next_offset || r.reset;
    pulled.next_offset = r.next_offset;
    if (!advanced || r.next_offset >= r.size) return pulled;
  }
}

/** How many events these findings will add, from the drift as it was when the command started. */
export function previewNewEvents(home: string, row: FimBaseline, journal: JournalLine[], found: DriftEntry[] | null, now: string): number {
  return findingsToEvents(readDrift(home, row), { journal, found, baselineAt: row.baseline_at, now }).bodies.length;
}

/** The current row for a planned one, unless its baseline was replaced meanwhile (then findings are stale). */
export function currentRow(state: State, planned: FimBaseline): FimBaseline | null {
  const row = state.fim_baselines.find((b) => b.id === planned.id);
  return row && row.sha256 === planned.sha256 ? row : null;
}

export interface CollectPolicyResult {
  policy: string;
  error: string | null;
  new_events: number;
  lines: number;
  failed_runs: Array<{ at: string; error: string }>;
  last_run_at: string | null;
  pulled: PulledJournal | null;
}

export interface CollectHostResult {
  policies: CollectPolicyResult[];
}

export function collectFailure(r: CollectHostResult): string | null {
  return r.policies.filter((p) => p.error).map((p) => `${p.policy}: ${p.error}`).join('; ') || null;
}

async function collectOne(ctx: Context, agent: AgentClient, plan: PolicyPlan): Promise<CollectPolicyResult> {
  const result: CollectPolicyResult = { policy: plan.policy.policy_name, error: null, new_events: 0, lines: 0, failed_runs: [], last_run_at: null, pulled: null };
  const row = plan.row!;
  try {
    const pulled = await pullJournal(agent, plan.policy.policy_name, row.journal_offset);
    Object.assign(result, { pulled, lines: pulled.lines.length, failed_runs: pulled.failed_runs, last_run_at: pulled.last_run_at });
    result.new_events = previewNewEvents(ctx.store.home, row, pulled.lines, null, ctx.now().toISOString());
  } catch (err) {
    result.error = (err as Error).message;
  }
  return result;
}

/** `fim events --collect`: the journals of hosts with a baseline, pulled into the events. */
export async function collectJournals(ctx: Context, targets: TargetOptions & { limit?: string }, policyName: string | undefined, onEvent?: (e: FanoutEvent<CollectHostResult>, h: HostView) => void): Promise<RemoteRun<CollectHostResult>> {
  const plan = await planFim(ctx, targets, policyName);
  for (const [hostId, plans] of plan.byHost) {
    const withRow = plans.filter((p) => p.row !== null);
    if (withRow.length) plan.byHost.set(hostId, withRow);
    else plan.byHost.delete(hostId);
  }
  const hosts = plan.hosts.filter((h) => plan.byHost.has(h.id));
  if (hosts.length === 0) return { outcomes: [], exitCode: 0, interrupted: false };
  return runRemote<CollectHostResult>(ctx, {
    permission: 'operate',
    targets: { hosts: hosts.map((h) => h.ip).join(',') },
    mutating: true,
    defaultTimeoutS: 120,
    work: async (session, host) => {
      const agent = await session.agent();
      const policies: CollectPolicyResult[] = [];
      for (const p of plan.byHost.get(host.id) ?? []) policies.push(await collectOne(ctx, agent, p));
      return { policies };
    },
    judge: collectFailure,
    onEvent,
    persist: (state, outcomes, now) => {
      for (const o of outcomes) {
        for (const [i, r] of (o.result?.policies ?? []).entries()) {
          const planned = plan.byHost.get(o.host.id)?.[i]?.row;
          const row = planned ? currentRow(state, planned) : null;
          if (!row || !r.pulled) continue;
          recordFindings(ctx.store.home, row, { journal: r.pulled.lines, found: null, now });
          row.journal_offset = r.pulled.next_offset;
          row.update_at = now;
        }
      }
    },
  });
}
