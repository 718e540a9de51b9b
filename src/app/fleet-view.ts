// The fleet as a command sees it: from the state, or with `-i FILE` from that file laid over a copy of the
// state (hosts the state already knows keep their ids and gathered facts). Filtered to what the actor may see.
import { labelsByHost } from '../store/fleet.js';
import type { Cluster, Host, SshSettings, State } from '../store/schema.js';
import { visibleClusters, type Actor } from './actor.js';
import type { Context } from './context.js';
import { applyInventory } from './inventory-apply.js';
import type { Permission } from '../core/rbac.js';

export interface HostView {
  id: number;
  name: string;
  ip: string;
  cluster_id: number;
  cluster_name: string;
  hostname: string | null;
  cpu: number | null;
  mem: string | null;
  root: string | null;
  os: string | null;
  status: Host['status'];
  labels: Record<string, string>;
  /** defaults < cluster < host */
  ssh: SshSettings;
  vars: Record<string, unknown>;
  create_at: string;
  update_at: string;
}

export interface FleetView {
  state: State;
  clusters: Cluster[];
  hosts: HostView[];
  /** the inventory file the view came from, or null for the state */
  source: string | null;
}

/** With -i, the state copy the file was applied to; otherwise the state itself. */
export async function fleetState(ctx: Context, state: State): Promise<{ state: State; source: string | null }> {
  if (!ctx.globals.inventory) return { state, source: null };
  // Loaded only with -i: the YAML parser is most of a plain `host list`'s start-up otherwise.
  const { readInventoryFile } = await import('../inventory/read.js');
  const inv = await readInventoryFile(ctx.globals.inventory, {});
  const copy = structuredClone(state);
  applyInventory(copy, inv, { userId: null, now: ctx.now().toISOString(), prune: 'everything' });
  return { state: copy, source: ctx.globals.inventory };
}

export function buildHostViews(state: State): HostView[] {
  const clusters = new Map(state.clusters.map((c) => [c.id, c]));
  const labels = labelsByHost(state);
  return state.hosts.map((h) => {
    const c = clusters.get(h.cluster_id);
    return {
      id: h.id, name: h.name, ip: h.ip, cluster_id: h.cluster_id, cluster_name: c?.cluster_name ?? `#${h.cluster_id}`,
      hostname: h.hostname, cpu: h.cpu, mem: h.mem, root: h.root, os: h.os, status: h.status,
      labels: labels.get(h.id) ?? {},
      ssh: { ...state.defaults.ssh, ...c?.ssh, ...h.ssh },
      vars: { ...state.defaults.vars, ...c?.vars, ...h.vars },
      create_at: h.create_at, update_at: h.update_at,
    };
  });
}

export async function loadFleet(ctx: Context, state: State, actor: Actor, permission: Permission = 'read'): Promise<FleetView> {
  const view = await fleetState(ctx, state);
  const allowed = visibleClusters(actor, permission);
  const canSee = (clusterId: number) => allowed === 'all' || allowed.has(clusterId);
  return {
    state: view.state,
    clusters: view.state.clusters.filter((c) => canSee(c.id)),
    hosts: buildHostViews(view.state).filter((h) => canSee(h.cluster_id)),
    source: view.source,
  };
}
