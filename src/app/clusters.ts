// Use cases for clusters: add, list, show, remove.
import { PromanagerError } from '../core/errors.js';
import { addCluster as addClusterRow, findCluster, removeCluster as removeClusterRows } from '../store/fleet.js';
import type { Context } from './context.js';
import { loadFleet } from './fleet-view.js';
import { beginRead, confirmOrThrow } from './read.js';
import { transact } from './transaction.js';
import { requirePermission } from './actor.js';

export interface ClusterRow {
  id: number;
  cluster_name: string;
  description: string;
  hosts: number;
  create_user: number | null;
  create_at: string;
  update_at: string;
}

export async function addCluster(ctx: Context, name: string, description: string): Promise<ClusterRow> {
  refuseWithInventory(ctx, 'cluster add');
  return transact(ctx, (tx) => {
    tx.require('admin', null);
    const c = addClusterRow(tx.state, { name, description }, tx.userId, tx.now);
    tx.touch({ clusters: [name] });
    return { ...c, hosts: 0 };
  });
}

export async function listClusters(ctx: Context): Promise<ClusterRow[]> {
  const { state, actor } = await beginRead(ctx);
  const fleet = await loadFleet(ctx, state, actor);
  const counts = new Map<number, number>();
  for (const h of fleet.hosts) counts.set(h.cluster_id, (counts.get(h.cluster_id) ?? 0) + 1);
  return fleet.clusters.map((c) => ({
    id: c.id, cluster_name: c.cluster_name, description: c.description, hosts: counts.get(c.id) ?? 0,
    create_user: c.create_user, create_at: c.create_at, update_at: c.update_at,
  }));
}

export async function showCluster(ctx: Context, name: string): Promise<Record<string, unknown>> {
  const { state, actor } = await beginRead(ctx);
  const fleet = await loadFleet(ctx, state, { ...actor, grants: [{ role: 'sysadmin', clusterId: null }] });
  const cluster = findCluster(fleet.state, name);
  requirePermission(state, actor, 'read', [cluster.id], ctx.command);
  const hosts = fleet.hosts.filter((h) => h.cluster_id === cluster.id);
  const roles = new Map(state.roles.map((r) => [r.id, r.role_name]));
  const users = new Map(state.users.map((u) => [u.id, u.user_name]));
  return {
    id: cluster.id,
    cluster_name: cluster.cluster_name,
    description: cluster.description,
    hosts: hosts.map((h) => h.name),
    labels: fleet.state.labels.filter((l) => l.cluster_id === cluster.id).map((l) => l.label_name),
    members: state.role_user_cluster
      .filter((b) => b.cluster_id === cluster.id || b.cluster_id === null)
      .map((b) => `${users.get(b.user_id)}=${roles.get(b.role_id)}${b.cluster_id === null ? '(all)' : ''}`),
    vars: cluster.vars,
    ssh: cluster.ssh,
    create_user: cluster.create_user === null ? null : (users.get(cluster.create_user) ?? cluster.create_user),
    create_at: cluster.create_at,
    update_at: cluster.update_at,
  };
}

export async function removeCluster(ctx: Context, name: string): Promise<{ cluster_name: string; hosts_removed: number }> {
  refuseWithInventory(ctx, 'cluster remove');
  const { state } = await beginRead(ctx, 'admin');
  const cluster = findCluster(state, name);
  const hostCount = state.hosts.filter((h) => h.cluster_id === cluster.id).length;
  if (hostCount > 0) await confirmOrThrow(ctx, `cluster '${name}' still has ${hostCount} host(s); remove it with all of them`);
  return transact(ctx, (tx) => {
    tx.require('admin', null);
    const fresh = findCluster(tx.state, name);
    const { hosts } = removeClusterRows(tx.state, fresh);
    tx.touch({ clusters: [name] });
    return { cluster_name: name, hosts_removed: hosts };
  });
}

/** With -i the file is the source of clusters and hosts; changing the state's copy would mislead. */
export function refuseWithInventory(ctx: Context, what: string): void {
  if (ctx.globals.inventory) {
    throw new PromanagerError(`'${what}' changes the state, but -i ${ctx.globals.inventory} makes that file the source of clusters and hosts`, {
      exitCode: 2,
      hint: 'edit the inventory file instead, or drop -i (and PROMANAGER_INVENTORY) to change the state',
    });
  }
}
