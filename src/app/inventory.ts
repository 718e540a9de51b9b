// inventory validate | import | export
import { writeFile } from 'node:fs/promises';
import { readInventoryFile } from '../inventory/read.js';
import { writePromanagerYaml } from '../inventory/write.js';
import type { Inventory } from '../inventory/model.js';
import type { Context } from './context.js';
import { applyInventory, stateToInventory, type ApplySummary, type PruneMode } from './inventory-apply.js';
import { beginRead } from './read.js';
import { transact } from './transaction.js';
import { visibleClusters } from './actor.js';
import { refuseWithInventory } from './clusters.js';

export interface ValidateResult {
  file: string;
  format: Inventory['format'];
  clusters: number;
  hosts: number;
}

export async function validateInventory(_ctx: Context, file: string, cluster?: string): Promise<ValidateResult> {
  const inv = await readInventoryFile(file, { cluster });
  return { file, format: inv.format, clusters: inv.clusters.length, hosts: inv.clusters.reduce((n, c) => n + c.hosts.length, 0) };
}

export async function importInventory(ctx: Context, file: string, opts: { cluster?: string; prune: boolean }): Promise<ApplySummary & { file: string }> {
  refuseWithInventory(ctx, 'inventory import');
  const inv = await readInventoryFile(file, { cluster: opts.cluster });
  const prune: PruneMode = opts.prune ? 'hosts-of-listed-clusters' : 'none';
  return transact(ctx, (tx) => {
    // Creating clusters or changing the shared defaults is a sysadmin's job; a bizadmin may import into
    // the clusters granted to them.
    const existing = inv.clusters.map((c) => tx.state.clusters.find((s) => s.cluster_name === c.name));
    if (existing.some((c) => c === undefined) || inv.format === 'promanager') tx.require('admin', null);
    else tx.require('operate', existing.map((c) => c!.id));
    const summary = applyInventory(tx.state, inv, { userId: tx.userId, now: tx.now, prune });
    tx.touch({ clusters: inv.clusters.map((c) => c.name), hosts: [...summary.hosts_added, ...summary.hosts_updated, ...summary.hosts_removed] });
    return { file, ...summary };
  });
}

export async function exportInventory(ctx: Context, output?: string): Promise<{ yaml: string; file: string | null }> {
  const { state, actor } = await beginRead(ctx);
  const visible = visibleClusters(actor);
  const scoped = visible === 'all' ? state : {
    ...state,
    clusters: state.clusters.filter((c) => visible.has(c.id)),
    hosts: state.hosts.filter((h) => visible.has(h.cluster_id)),
  };
  const yaml = writePromanagerYaml(stateToInventory(scoped, output ?? '-'));
  if (output) await writeFile(output, yaml, { mode: 0o644 });
  return { yaml, file: output ?? null };
}
