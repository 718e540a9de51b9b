// Which policies each targeted host gets, for every FIM command that goes to hosts. The targeting flags pick
// hosts as everywhere else; of those, only hosts some (or the named) policy applies to are contacted, so the
// output is about FIM and not a line of "nothing to do" per host of the fleet.
import { PromanagerError } from '../core/errors.js';
import { selectTargets, type TargetOptions } from '../core/targets.js';
import type { FimPolicySpec } from '../agent/fim-entry.js';
import { findCluster } from '../store/fleet.js';
import type { FimBaseline, FimPolicy, State } from '../store/schema.js';
import { resolveActor } from './actor.js';
import type { Context } from './context.js';
import { loadFleet, type HostView } from './fleet-view.js';
import { findPolicy, policyApplies, policySpec } from './fim-policy.js';
import { failedHostsOf } from './last-run.js';

export interface PolicyPlan {
  policy: FimPolicy;
  spec: FimPolicySpec;
  /** the host's baseline for this policy, as of planning (null: none yet) */
  row: FimBaseline | null;
}

export interface FimPlan {
  state: State;
  hosts: HostView[];
  byHost: Map<number, PolicyPlan[]>;
  /** targets for runRemote: exactly the planned hosts */
  targets: TargetOptions & { limit?: string };
}

export function baselineRow(state: State, policyId: number, hostId: number): FimBaseline | null {
  return state.fim_baselines.find((b) => b.policy_id === policyId && b.host_id === hostId) ?? null;
}

export async function planFim(ctx: Context, targets: TargetOptions & { limit?: string }, policyName: string | undefined): Promise<FimPlan> {
  const state = await ctx.store.read();
  const actor = resolveActor(state, ctx);
  const fleet = await loadFleet(ctx, state, actor, 'read');
  if (targets.cluster) findCluster(fleet.state, targets.cluster);
  const policies = policyName ? [findPolicy(state, policyName)] : state.fim_policies;
  if (policies.length === 0) throw new PromanagerError('there are no FIM policies', { hint: 'add one: promanager fim policy add <name> --path /etc -c <cluster>' });
  const limitFailed = targets.limit ? failedHostsOf(state, ctx, targets.limit) : undefined;
  const byHost = new Map<number, PolicyPlan[]>();
  const hosts: HostView[] = [];
  for (const host of selectTargets(fleet.hosts, { ...targets, limitFailed })) {
    const plans = policies.filter((p) => policyApplies(p, host)).map((p) => ({ policy: p, spec: policySpec(p), row: baselineRow(state, p.id, host.id) }));
    if (plans.length === 0) continue;
    byHost.set(host.id, plans);
    hosts.push(host);
  }
  if (hosts.length === 0) {
    throw new PromanagerError(policyName ? `FIM policy '${policyName}' applies to none of the targeted hosts` : 'no FIM policy applies to any of the targeted hosts', {
      hint: 'see promanager fim policy list for each policy\'s cluster and selector',
    });
  }
  return { state, hosts, byHost, targets: { hosts: hosts.map((h) => h.ip).join(',') } };
}

/** The state's id of a host seen through a view (with -i, a host only in the file has none). */
export function stateHostId(state: State, host: HostView): number | null {
  return state.hosts.find((h) => h.ip === host.ip)?.id ?? null;
}
