// `label list`: the labels in use per cluster, with how many hosts carry each value.
import { findCluster } from '../store/fleet.js';
import type { Context } from './context.js';
import { loadFleet } from './fleet-view.js';
import { beginRead } from './read.js';

export interface LabelRow {
  cluster_name: string;
  label_name: string;
  /** value -> number of hosts ("" for a bare label) */
  values: Record<string, number>;
  hosts: number;
}

export async function listLabels(ctx: Context, cluster?: string): Promise<LabelRow[]> {
  const { state, actor } = await beginRead(ctx);
  const fleet = await loadFleet(ctx, state, actor);
  if (cluster) findCluster(fleet.state, cluster);
  const rows = new Map<string, LabelRow>();
  for (const host of fleet.hosts) {
    if (cluster && host.cluster_name !== cluster) continue;
    for (const [key, value] of Object.entries(host.labels)) {
      const id = `${host.cluster_name}\u0000${key}`;
      let row = rows.get(id);
      if (!row) rows.set(id, (row = { cluster_name: host.cluster_name, label_name: key, values: {}, hosts: 0 }));
      row.values[value] = (row.values[value] ?? 0) + 1;
      row.hosts++;
    }
  }
  return [...rows.values()].sort((a, b) => a.cluster_name.localeCompare(b.cluster_name) || a.label_name.localeCompare(b.label_name));
}
