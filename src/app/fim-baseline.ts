// `fim baseline`: each host scans and hashes its policy paths and streams the compressed entries back; the
// controller keeps them beside the database with their hash in it. The host keeps the same bytes as its copy
// (hints for quick checks, reference for scheduled ones), so one sha256 names both.
import type { BaselineOutcome, LimitReport } from '../agent/fim-run.js';
import type { TargetOptions } from '../core/targets.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { HostSession } from '../remote/session.js';
import type { FimBaseline, State } from '../store/schema.js';
import { nextId } from '../store/fleet.js';
import { actorName, resolveActor } from './actor.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { writeDrift } from './fim-drift.js';
import { BaselineReceiver, baselineName, fimPath, install, removeQuietly, validateBaseline } from './fim-files.js';
import { appendJournal, eventsFileName } from './fim-journal.js';
import { planFim, stateHostId, type PolicyPlan } from './fim-plan.js';
import { confirmOrThrow } from './read.js';
import { runRemote, type RemoteRun } from './remote-run.js';

export interface BaselinePolicyResult {
  policy: string;
  policy_id: number;
  error: string | null;
  entries: number;
  /** compressed size as stored */
  bytes: number;
  content_bytes: number;
  sha256: string | null;
  unknown: Array<{ path: string; reason: string }>;
  missing_paths: string[];
  skipped_pseudo: string[];
  limit: LimitReport | null;
  duration_ms: number;
  /** the received file, until persist puts it in place */
  temp: string | null;
}

export interface BaselineHostResult {
  policies: BaselinePolicyResult[];
}

/** A host fails when any of its policies could not be baselined. */
export function baselineFailure(r: BaselineHostResult): string | null {
  return r.policies.filter((p) => p.error !== null).map((p) => `${p.policy}: ${p.error}`).join('; ') || null;
}

async function baselineOne(ctx: Context, session: HostSession, plan: PolicyPlan, temps: Set<string>): Promise<BaselinePolicyResult> {
  const agent = await session.agent();
  const keep = !ctx.globals.dryRun;
  const receiver = keep ? new BaselineReceiver(ctx.store.home) : null;
  if (receiver) temps.add(receiver.file);
  const unknown: Array<{ path: string; reason: string }> = [];
  const result: BaselinePolicyResult = {
    policy: plan.policy.policy_name, policy_id: plan.policy.id, error: null, entries: 0, bytes: 0, content_bytes: 0, sha256: null,
    unknown, missing_paths: [], skipped_pseudo: [], limit: null, duration_ms: 0, temp: null,
  };
  try {
    const r = await agent.call<BaselineOutcome>('fim_baseline', { spec: plan.spec, keep }, (event, data) => {
      if (event === 'chunk') receiver?.write(data as string);
      else if (event === 'unknown') unknown.push(...(data as typeof unknown));
    });
    Object.assign(result, { entries: r.entries, content_bytes: r.report.bytes, missing_paths: r.report.missing_paths, skipped_pseudo: r.report.skipped_pseudo, duration_ms: r.report.duration_ms, limit: r.limit });
    if (r.limit) {
      result.error = r.limit.message;
      return result;
    }
    if (!receiver) return result;
    const got = receiver.finish();
    if (got.sha256 !== r.sha256) throw new Error(`the baseline arrived with sha256 ${got.sha256}, the host sent ${r.sha256}`);
    await validateBaseline(receiver.file, r.entries);
    Object.assign(result, { sha256: got.sha256, bytes: got.bytes, temp: receiver.file });
    // A scheduled check must now compare against the new copy, not refuse it as altered.
    if (plan.row?.schedule) await agent.call('fim_schedule', { spec: plan.spec, baseline_sha256: got.sha256, schedule: plan.row.schedule });
  } catch (err) {
    receiver?.discard();
    result.error = (err as Error).message;
    result.temp = null;
  }
  return result;
}

function storeBaseline(ctx: Context, state: State, host: HostView, r: BaselinePolicyResult, by: string, now: string): void {
  const hostId = stateHostId(state, host);
  if (hostId === null || !r.temp || !r.sha256 || !state.fim_policies.some((p) => p.id === r.policy_id)) return;
  const name = install(ctx.store.home, r.temp, 'baselines', baselineName(hostId, r.policy_id, r.sha256));
  let row = state.fim_baselines.find((b) => b.policy_id === r.policy_id && b.host_id === hostId);
  if (!row) {
    row = {
      id: nextId(state.fim_baselines), policy_id: r.policy_id, host_id: hostId, file: name, sha256: r.sha256, entries: 0, bytes: 0, content_bytes: 0,
      baseline_at: now, baseline_user: null, drift_file: null, drift_sha256: null, drift_count: 0, last_check_at: null,
      events_file: eventsFileName(hostId, r.policy_id), events_count: 0, events_bytes: 0, events_last_sha256: '',
      host_sha256: null, schedule: null, journal_offset: 0, create_at: now, update_at: now,
    } satisfies FimBaseline;
    state.fim_baselines.push(row);
  } else if (row.file !== name) {
    removeQuietly(fimPath(ctx.store.home, 'baselines', row.file));
  }
  const userId = state.users.find((u) => u.user_name === by)?.id ?? null;
  Object.assign(row, { file: name, sha256: r.sha256, entries: r.entries, bytes: r.bytes, content_bytes: r.content_bytes, baseline_at: now, baseline_user: userId, host_sha256: r.sha256, update_at: now });
  writeDrift(ctx.store.home, row, []);
  appendJournal(ctx.store.home, row, [{ type: 'baseline', by, at: now, entries: r.entries, sha256: r.sha256 }]);
}

export async function takeBaselines(ctx: Context, targets: TargetOptions & { limit?: string }, policyName: string | undefined, onEvent?: (e: FanoutEvent<BaselineHostResult>, h: HostView) => void): Promise<RemoteRun<BaselineHostResult>> {
  const plan = await planFim(ctx, targets, policyName);
  const withDrift = [...plan.byHost.values()].flat().filter((p) => p.row && p.row.drift_count > 0);
  if (withDrift.length > 0) {
    await confirmOrThrow(ctx, `replace ${withDrift.length} baseline(s) that still have unaccepted changes (${withDrift.reduce((n, p) => n + p.row!.drift_count, 0)} paths); the new baseline takes the hosts as they are now`);
  }
  const by = actorName(resolveActor(plan.state, ctx));
  const temps = new Set<string>();
  try {
    return await runRemote<BaselineHostResult>(ctx, {
      permission: 'operate',
      targets: plan.targets,
      mutating: true,
      defaultTimeoutS: 3600,
      work: async (session, host) => {
        if (stateHostId(plan.state, host) === null) throw new Error(`${host.name} is only in the inventory file, not in the state: import it first (promanager inventory import)`);
        const policies: BaselinePolicyResult[] = [];
        for (const p of plan.byHost.get(host.id) ?? []) policies.push(await baselineOne(ctx, session, p, temps));
        return { policies };
      },
      judge: baselineFailure,
      onEvent,
      persist: (state, outcomes, now) => {
        for (const o of outcomes) for (const r of o.result?.policies ?? []) storeBaseline(ctx, state, o.host, r, by, now);
      },
    });
  } finally {
    for (const t of temps) removeQuietly(t);
  }
}
