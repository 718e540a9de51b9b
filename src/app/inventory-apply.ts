// Bringing an inventory file into the state: used by `inventory import` (written to the database) and by
// `-i FILE` (applied to an in-memory copy, so the file is the source for that one command).
import { ConflictError } from '../core/errors.js';
import { effectiveLabels, type Inventory } from '../inventory/model.js';
import { addCluster, addHost, clusterById, hostLabels, LabelWriter, labelsByHost, nextId, removeCluster, removeHostRows, validateHostAddress } from '../store/fleet.js';
import type { State } from '../store/schema.js';

/** What happens to clusters and hosts of the state that the file does not mention. */
export type PruneMode = 'none' | 'hosts-of-listed-clusters' | 'everything';

export interface ApplySummary {
  clusters_added: string[];
  clusters_updated: string[];
  hosts_added: string[];
  hosts_updated: string[];
  hosts_removed: string[];
  clusters_removed: string[];
}

export function applyInventory(state: State, inv: Inventory, opts: { userId: number | null; now: string; prune: PruneMode }): ApplySummary {
  const summary: ApplySummary = { clusters_added: [], clusters_updated: [], hosts_added: [], hosts_updated: [], hosts_removed: [], clusters_removed: [] };
  const { userId, now } = opts;
  // An Ansible inventory has no place for promanager's defaults; its `all` vars belong to the one cluster it makes.
  const ownDefaults = inv.format === 'promanager';
  if (ownDefaults) state.defaults = { ssh: { ...inv.defaults.ssh }, vars: { ...inv.defaults.vars } };
  const seenHostIds = new Set<number>();
  const listedClusterIds = new Set<number>();
  // Indexes built once: an import of 1,000 hosts must not scan the tables per host.
  const byIp = new Map(state.hosts.map((h) => [h.ip, h]));
  const byName = new Map(state.hosts.map((h) => [h.name, h]));
  const fileNameOf = new Map<string, string>(inv.clusters.flatMap((c) => c.hosts.map((h) => [h.ip, h.name] as [string, string])));
  const currentLabels = labelsByHost(state);
  const labels = new LabelWriter(state);
  let nextHostId = nextId(state.hosts);

  for (const ic of inv.clusters) {
    const vars = ownDefaults ? ic.vars : { ...inv.defaults.vars, ...ic.vars };
    const ssh = ownDefaults ? ic.ssh : { ...inv.defaults.ssh, ...ic.ssh };
    let cluster = state.clusters.find((c) => c.cluster_name === ic.name);
    if (!cluster) {
      cluster = addCluster(state, { name: ic.name, description: ic.description, vars, ssh }, userId, now);
      summary.clusters_added.push(ic.name);
    } else if (ic.description !== cluster.description || !sameJson(vars, cluster.vars) || !sameJson(ssh, cluster.ssh)) {
      Object.assign(cluster, { description: ic.description, vars, ssh, update_at: now });
      summary.clusters_updated.push(ic.name);
    }
    listedClusterIds.add(cluster.id);

    for (const ih of ic.hosts) {
      validateHostAddress(ih.ip);
      const wanted = effectiveLabels(ic, ih);
      const existing = byIp.get(ih.ip);
      const nameOwner = byName.get(ih.name);
      // A name held by another address is a conflict, unless the file itself renames that other host.
      const ownerRenamedTo = nameOwner ? fileNameOf.get(nameOwner.ip) : undefined;
      if (nameOwner && nameOwner.ip !== ih.ip && (ownerRenamedTo === undefined || ownerRenamedTo === nameOwner.name)) {
        throw new ConflictError(`host name '${ih.name}' (${ih.ip}) is already used by ${nameOwner.ip} in cluster '${clusterById(state, nameOwner.cluster_id).cluster_name}'`, {
          hint: 'host names are unique across the state; rename one of them',
        });
      }
      if (!existing) {
        const host = addHost(state, cluster, { ip: ih.ip, name: ih.name, ssh: ih.ssh, vars: ih.vars, labels: wanted }, userId, now, { id: nextHostId++, labels });
        byIp.set(host.ip, host);
        byName.set(host.name, host);
        seenHostIds.add(host.id);
        summary.hosts_added.push(ih.name);
        continue;
      }
      seenHostIds.add(existing.id);
      let changed = false;
      let current = currentLabels.get(existing.id) ?? {};
      if (existing.cluster_id !== cluster.id) {
        // Labels are defined per cluster, so a moving host takes its labels anew in the new cluster.
        labels.set(existing, {}, Object.keys(current), userId, now);
        current = {};
        existing.cluster_id = cluster.id;
        changed = true;
      }
      if (existing.name !== ih.name || !sameJson(existing.ssh, ih.ssh) || !sameJson(existing.vars, ih.vars)) {
        byName.delete(existing.name);
        Object.assign(existing, { name: ih.name, ssh: { ...ih.ssh }, vars: { ...ih.vars } });
        byName.set(existing.name, existing);
        changed = true;
      }
      const removed = Object.keys(current).filter((k) => !(k in wanted));
      if (labels.set(existing, wanted, removed, userId, now)) changed = true;
      if (changed) {
        existing.update_at = now;
        summary.hosts_updated.push(ih.name);
      }
    }
  }
  labels.finish();

  if (opts.prune !== 'none') {
    for (const host of [...state.hosts]) {
      if (seenHostIds.has(host.id)) continue;
      if (opts.prune === 'everything' || listedClusterIds.has(host.cluster_id)) {
        removeHostRows(state, host.id);
        summary.hosts_removed.push(host.name);
      }
    }
  }
  if (opts.prune === 'everything') {
    for (const cluster of [...state.clusters]) {
      if (listedClusterIds.has(cluster.id)) continue;
      removeCluster(state, cluster);
      summary.clusters_removed.push(cluster.cluster_name);
    }
  }
  return summary;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  }
  return v;
}

/** The state's fleet as an inventory, for `inventory export`. Reads back to the same state. */
export function stateToInventory(state: State, file: string): Inventory {
  const labels = new Map<number, Record<string, string>>();
  for (const h of state.hosts) labels.set(h.id, hostLabels(state, h.id));
  return {
    file,
    format: 'promanager',
    defaults: { ssh: { ...state.defaults.ssh }, vars: { ...state.defaults.vars } },
    clusters: [...state.clusters].sort((a, b) => a.id - b.id).map((c) => ({
      name: c.cluster_name,
      description: c.description,
      labels: {},
      vars: { ...c.vars },
      ssh: { ...c.ssh },
      hosts: state.hosts.filter((h) => h.cluster_id === c.id).sort((a, b) => a.id - b.id).map((h) => ({
        name: h.name, ip: h.ip, labels: labels.get(h.id) ?? {}, vars: { ...h.vars }, ssh: { ...h.ssh },
      })),
    })),
  };
}

export { nextId };
