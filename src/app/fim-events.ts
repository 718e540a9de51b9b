// `fim events`: every recorded change, from the journals of the hosts the user may see, with its acceptance.
// Read-only unless `--collect` first pulls what scheduled checks journalled on the hosts (see fim-collect.ts).
import { selectTargets, type TargetOptions } from '../core/targets.js';
import type { ChangeFields } from '../agent/fim-entry.js';
import { findCluster } from '../store/fleet.js';
import { parseSince } from './audit.js';
import type { Context } from './context.js';
import { loadFleet } from './fleet-view.js';
import { foldJournal, readJournal } from './fim-journal.js';
import { stateHostId } from './fim-plan.js';
import { findPolicy } from './fim-policy.js';
import { beginRead } from './read.js';

export interface EventFilter {
  since?: string;
  policy?: string;
  /** true: accepted only; false: unaccepted only */
  accepted?: boolean;
}

export interface FimEventView extends ChangeFields {
  /** <baseline row id>-<sequence in its journal>: stable */
  id: string;
  host: string;
  cluster_name: string;
  policy: string;
  detected_at: string;
  source: 'check' | 'schedule';
  accepted: boolean;
  accepted_by: string | null;
  accepted_at: string | null;
  accept_reason: string | null;
}

export async function listEvents(ctx: Context, targets: TargetOptions, filter: EventFilter): Promise<FimEventView[]> {
  const { state, actor } = await beginRead(ctx, 'read');
  const fleet = await loadFleet(ctx, state, actor, 'read');
  if (targets.cluster) findCluster(fleet.state, targets.cluster);
  const policy = filter.policy ? findPolicy(state, filter.policy) : null;
  const since = filter.since ? parseSince(filter.since, ctx.now()).toISOString() : null;
  const names = new Map(state.fim_policies.map((p) => [p.id, p.policy_name]));
  const events: FimEventView[] = [];
  for (const host of selectTargets(fleet.hosts, targets)) {
    const hostId = stateHostId(state, host);
    for (const row of state.fim_baselines.filter((b) => b.host_id === hostId && (!policy || b.policy_id === policy.id))) {
      for (const e of foldJournal(readJournal(ctx.store.home, row))) {
        if (since && e.detected_at < since) continue;
        if (filter.accepted !== undefined && (e.accepted !== null) !== filter.accepted) continue;
        events.push({
          id: `${row.id}-${e.seq}`, host: host.name, cluster_name: host.cluster_name, policy: names.get(row.policy_id) ?? `#${row.policy_id}`,
          path: e.path, kind: e.kind, attributes: e.attributes, old: e.old, new: e.new, reason: e.reason, detected_at: e.detected_at, source: e.source,
          accepted: e.accepted !== null, accepted_by: e.accepted?.by ?? null, accepted_at: e.accepted?.at ?? null, accept_reason: e.accepted?.reason ?? null,
        });
      }
    }
  }
  return events.sort((a, b) => a.detected_at.localeCompare(b.detected_at) || a.host.localeCompare(b.host) || a.path.localeCompare(b.path));
}
