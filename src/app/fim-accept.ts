// `fim accept`: takes what the latest check found (the drift) into the baseline, for the chosen hosts, policies
// and paths, and appends to each event journal who accepted which events, when and why. Only what a person has
// seen reported is accepted: the drift recorded by the check, never a fresh look at the host. Hosts with a
// scheduled check get the new baseline right away, so cron stops reporting what was accepted.
import { UsageError } from '../core/errors.js';
import type { FimEntry } from '../agent/fim-entry.js';
import { compileGlob, validateGlob } from '../agent/fim-glob.js';
import type { TargetOptions } from '../core/targets.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { FimBaseline } from '../store/schema.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { readDrift, writeDrift } from './fim-drift.js';
import { baselineName, fimPath, install, removeQuietly, rewriteBaseline, trustedBaseline, uploadBaseline } from './fim-files.js';
import { appendJournal, foldJournal, readJournal } from './fim-journal.js';
import { baselineRow, planFim, stateHostId } from './fim-plan.js';
import { policySpec } from './fim-policy.js';
import { runRemote, type RemoteRun } from './remote-run.js';
import { transact } from './transaction.js';
import { textfileDirVar } from '../components/textfile-dir.js';

export interface AcceptInput {
  policy?: string;
  pathGlob: string | null;
  reason: string;
}

export interface AcceptedRow {
  host: string;
  cluster_name: string;
  policy: string;
  /** paths of the drift taken into the baseline */
  paths: number;
  /** events newly marked accepted */
  events: number;
  baseline_sha256: string;
  /** the host runs scheduled checks: its copy of the baseline is replaced too */
  scheduled: boolean;
  /** what the latest check found that is still not accepted: the host's metrics say so right away */
  still_changed: number;
  still_unknown: number;
}

export interface AcceptResult {
  accepted: AcceptedRow[];
  /** the push of new baselines to hosts with scheduled checks; null when there were none */
  push: RemoteRun<{ policies: string[] }> | null;
}

type RowDone = Pick<AcceptedRow, 'paths' | 'events' | 'still_changed' | 'still_unknown'>;

async function acceptRow(ctx: Context, row: FimBaseline, input: AcceptInput, by: string, now: string, obsolete: string[]): Promise<RowDone | null> {
  const home = ctx.store.home;
  const covers = input.pathGlob === null ? () => true : compileGlob(input.pathGlob);
  const drift = readDrift(home, row);
  const matched = [...drift.values()].filter((d) => covers(d.path));
  const pendingEvents = foldJournal(readJournal(home, row)).filter((e) => e.accepted === null && covers(e.path)).length;
  if (matched.length === 0 && pendingEvents === 0) return null;
  const left = [...drift.values()].filter((d) => !covers(d.path));
  const still = { still_changed: left.filter((d) => d.kind !== 'unknown').length, still_unknown: left.filter((d) => d.kind === 'unknown').length };
  if (ctx.globals.dryRun) return { paths: matched.length, events: pendingEvents, ...still };
  // An `unknown` without a current entry (vanished, not listable) has nothing to take in: its events are accepted.
  const changes = new Map<string, FimEntry | null>();
  for (const d of matched) if (d.kind === 'removed' || d.current) changes.set(d.path, d.current);
  if (changes.size > 0) {
    const rewritten = await rewriteBaseline(home, await trustedBaseline(home, row), changes);
    obsolete.push(fimPath(home, 'baselines', row.file));
    const name = install(home, rewritten.temp, 'baselines', baselineName(row.host_id, row.policy_id, rewritten.sha256));
    Object.assign(row, { file: name, sha256: rewritten.sha256, bytes: rewritten.bytes, entries: rewritten.entries });
  }
  for (const d of matched) drift.delete(d.path);
  writeDrift(home, row, drift.values());
  appendJournal(home, row, [{ type: 'accept', path_glob: input.pathGlob, upto_seq: row.events_count, by, at: now, reason: input.reason, paths: matched.length }]);
  row.update_at = now;
  return { paths: matched.length, events: pendingEvents, ...still };
}

export async function acceptChanges(ctx: Context, targets: TargetOptions & { limit?: string }, input: AcceptInput, onEvent?: (e: FanoutEvent<{ policies: string[] }>, h: HostView) => void): Promise<AcceptResult> {
  if (input.reason.trim() === '') throw new UsageError('fim accept needs --reason "why"', 'the reason is recorded with the acceptance, e.g. --reason "openssl upgrade, change CHG-1234"');
  if (input.pathGlob !== null) {
    const problem = validateGlob(input.pathGlob);
    if (problem) throw new UsageError(`--path: ${problem}`);
  }
  const plan = await planFim(ctx, targets, input.policy);
  const obsolete: string[] = [];
  const accepted = await transact(ctx, async (tx) => {
    tx.require('operate', [...new Set(plan.hosts.map((h) => h.cluster_id))]);
    const by = tx.actor.user?.user_name ?? ctx.osUser;
    const rows: AcceptedRow[] = [];
    for (const host of plan.hosts) {
      const hostId = stateHostId(tx.state, host);
      for (const p of plan.byHost.get(host.id) ?? []) {
        const row = hostId === null ? null : baselineRow(tx.state, p.policy.id, hostId);
        if (!row) continue;
        const done = await acceptRow(ctx, row, input, by, tx.now, obsolete);
        if (!done) continue;
        rows.push({ host: host.name, cluster_name: host.cluster_name, policy: p.policy.policy_name, ...done, baseline_sha256: row.sha256, scheduled: row.schedule !== null });
        tx.touch({ clusters: [host.cluster_name], hosts: [host.name] });
      }
    }
    return rows;
  });
  for (const file of obsolete) removeQuietly(file);
  // Every host with something accepted gets its metrics updated; scheduled ones get the new baseline too.
  const toPush = accepted;
  if (toPush.length === 0 || ctx.globals.dryRun) return { accepted, push: null };
  return { accepted, push: await pushBaselines(ctx, plan.hosts.filter((h) => toPush.some((r) => r.host === h.name)), toPush, onEvent) };
}

/** Metrics to every host with something accepted; new baselines to those whose scheduled checks use them. */
async function pushBaselines(ctx: Context, hosts: HostView[], rows: AcceptedRow[], onEvent?: (e: FanoutEvent<{ policies: string[] }>, h: HostView) => void): Promise<RemoteRun<{ policies: string[] }>> {
  const state = await ctx.store.read();
  return runRemote<{ policies: string[] }>(ctx, {
    permission: 'operate',
    targets: { hosts: hosts.map((h) => h.ip).join(',') },
    mutating: true,
    defaultTimeoutS: 600,
    work: async (session, host) => {
      const agent = await session.agent();
      const done: string[] = [];
      const textfileDir = textfileDirVar(host.vars, host.name);
      for (const r of rows.filter((x) => x.host === host.name)) {
        const policy = state.fim_policies.find((p) => p.policy_name === r.policy)!;
        const hostId = stateHostId(state, host)!;
        const row = baselineRow(state, policy.id, hostId)!;
        if (r.scheduled && r.paths > 0) {
          await uploadBaseline(agent, r.policy, await trustedBaseline(ctx.store.home, row), row.sha256);
          await agent.call('fim_schedule', { spec: policySpec(policy), baseline_sha256: row.sha256, schedule: row.schedule, textfile_dir: textfileDir });
          done.push(r.policy);
        }
        await agent.call('fim_metrics', { policy: r.policy, changed: r.still_changed, unknown: r.still_unknown, textfile_dir: textfileDir });
      }
      return { policies: done };
    },
    onEvent,
    persist: (fresh, outcomes, now) => {
      for (const o of outcomes) {
        const hostId = stateHostId(fresh, o.host);
        for (const name of o.result?.policies ?? []) {
          const policy = fresh.fim_policies.find((p) => p.policy_name === name);
          const row = policy && hostId !== null ? baselineRow(fresh, policy.id, hostId) : null;
          const pushed = rows.find((r) => r.host === o.host.name && r.policy === name);
          if (row && pushed && row.sha256 === pushed.baseline_sha256) Object.assign(row, { host_sha256: row.sha256, update_at: now });
        }
      }
    },
  });
}
