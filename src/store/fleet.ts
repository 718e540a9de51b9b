// Operations on the fleet tables of the state (clusters, hosts, labels). Pure functions over a State value:
// callers run them inside Store.update, so a thrown error leaves the database untouched.
import { ConflictError, NotFoundError, PromanagerError, suggest } from '../core/errors.js';
import type { Cluster, Host, HostLabel, Label, State, SshSettings } from './schema.js';
import { isHostAddress } from '../inventory/checks.js';

export type Labels = Record<string, string>;

export function nextId(rows: ReadonlyArray<{ id: number }>): number {
  let max = 0;
  for (const r of rows) if (r.id > max) max = r.id;
  return max + 1;
}

export function findCluster(state: State, name: string): Cluster {
  const cluster = state.clusters.find((c) => c.cluster_name === name);
  if (!cluster) throw new NotFoundError('cluster', name, suggest(name, state.clusters.map((c) => c.cluster_name)));
  return cluster;
}

export function clusterById(state: State, id: number): Cluster {
  const cluster = state.clusters.find((c) => c.id === id);
  if (!cluster) throw new PromanagerError(`state is inconsistent: cluster id ${id} is referenced but missing`);
  return cluster;
}

/** A host by inventory name or IP. */
export function findHost(state: State, nameOrIp: string): Host {
  const host = state.hosts.find((h) => h.name === nameOrIp) ?? state.hosts.find((h) => h.ip === nameOrIp);
  if (!host) throw new NotFoundError('host', nameOrIp, suggest(nameOrIp, state.hosts.flatMap((h) => [h.name, h.ip])));
  return host;
}

export function validateClusterName(name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/.test(name)) {
    throw new PromanagerError(`invalid cluster name '${name}'`, {
      exitCode: 2,
      hint: 'use letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63 characters',
    });
  }
}

export function addCluster(state: State, input: { name: string; description: string; vars?: Record<string, unknown>; ssh?: SshSettings }, userId: number | null, now: string): Cluster {
  validateClusterName(input.name);
  if (state.clusters.some((c) => c.cluster_name === input.name)) {
    throw new ConflictError(`cluster '${input.name}' already exists`, { hint: 'cluster names are unique; pick another or use the existing one' });
  }
  const cluster: Cluster = {
    id: nextId(state.clusters), cluster_name: input.name, description: input.description, create_user: userId,
    vars: input.vars ?? {}, ssh: input.ssh ?? {}, create_at: now, update_at: now,
  };
  state.clusters.push(cluster);
  return cluster;
}

/** Removes a cluster with everything that hangs off it (hosts, labels, services, role bindings). */
export function removeCluster(state: State, cluster: Cluster): { hosts: number } {
  const hostIds = new Set(state.hosts.filter((h) => h.cluster_id === cluster.id).map((h) => h.id));
  for (const id of hostIds) removeHostRows(state, id);
  state.labels = state.labels.filter((l) => l.cluster_id !== cluster.id);
  state.role_user_cluster = state.role_user_cluster.filter((b) => b.cluster_id !== cluster.id);
  state.clusters = state.clusters.filter((c) => c.id !== cluster.id);
  return { hosts: hostIds.size };
}

export interface NewHost {
  ip: string;
  name?: string;
  ssh?: SshSettings;
  vars?: Record<string, unknown>;
  labels?: Labels;
}

export function validateHostAddress(ip: string): void {
  if (!isHostAddress(ip)) {
    throw new PromanagerError(`invalid IP address '${ip}'`, { exitCode: 2, hint: 'give an IPv4 or IPv6 address (e.g. 10.0.0.11) or a DNS name' });
  }
}

/**
 * `bulk` is for imports: the caller has already checked uniqueness against its own indexes and hands out ids,
 * so adding n hosts does not scan the table n times.
 */
export function addHost(state: State, cluster: Cluster, input: NewHost, userId: number | null, now: string, bulk?: { id: number; labels: LabelWriter }): Host {
  validateHostAddress(input.ip);
  const name = input.name ?? input.ip;
  if (bulk) {
    const host: Host = {
      id: bulk.id, cluster_id: cluster.id, ip: input.ip, name, hostname: null, cpu: null, mem: null,
      root: null, os: null, status: 'unknown', ssh: input.ssh ?? {}, vars: input.vars ?? {}, create_at: now, update_at: now,
    };
    state.hosts.push(host);
    if (input.labels) bulk.labels.set(host, input.labels, [], userId, now);
    return host;
  }
  const sameIp = state.hosts.find((h) => h.ip === input.ip);
  if (sameIp) {
    throw new ConflictError(`a host with IP ${input.ip} already exists ('${sameIp.name}' in cluster '${clusterById(state, sameIp.cluster_id).cluster_name}')`, {
      hint: 'a host belongs to exactly one cluster; remove it first to move it',
    });
  }
  const sameName = state.hosts.find((h) => h.name === name || h.ip === name);
  if (sameName) throw new ConflictError(`a host named '${name}' already exists (${sameName.ip})`, { hint: 'give a different --name' });
  const host: Host = {
    id: nextId(state.hosts), cluster_id: cluster.id, ip: input.ip, name, hostname: null, cpu: null, mem: null,
    root: null, os: null, status: 'unknown', ssh: input.ssh ?? {}, vars: input.vars ?? {}, create_at: now, update_at: now,
  };
  state.hosts.push(host);
  if (input.labels) setHostLabels(state, host, input.labels, [], userId, now);
  return host;
}

/** Removes the host's row and every row that references it. */
export function removeHostRows(state: State, hostId: number): void {
  state.hosts = state.hosts.filter((h) => h.id !== hostId);
  state.host_labels = state.host_labels.filter((hl) => hl.host_id !== hostId);
  state.services = state.services.filter((s) => s.host_id !== hostId);
  pruneUnusedLabels(state);
}

/** Labels of every host, computed once: listing 1,000 hosts must not scan the join table per host. */
export function labelsByHost(state: State): Map<number, Labels> {
  const labelName = new Map(state.labels.map((l) => [l.id, l.label_name]));
  const out = new Map<number, Labels>();
  for (const hl of state.host_labels) {
    const key = labelName.get(hl.label_id);
    if (key === undefined) continue;
    let labels = out.get(hl.host_id);
    if (!labels) out.set(hl.host_id, (labels = {}));
    labels[key] = hl.label_value;
  }
  return out;
}

export function hostLabels(state: State, hostId: number): Labels {
  return labelsByHost(state).get(hostId) ?? {};
}

/**
 * Label changes with indexes built once, so importing a thousand hosts stays linear. Call finish() when done:
 * it drops label keys no host carries any more.
 */
export class LabelWriter {
  readonly #labels = new Map<string, Label>();
  readonly #hostLabels = new Map<string, HostLabel>();
  #nextLabelId: number;
  #nextHostLabelId: number;
  #changed = false;
  constructor(private readonly state: State) {
    for (const l of state.labels) this.#labels.set(`${l.cluster_id}\u0000${l.label_name}`, l);
    for (const hl of state.host_labels) this.#hostLabels.set(`${hl.host_id}\u0000${hl.label_id}`, hl);
    this.#nextLabelId = nextId(state.labels);
    this.#nextHostLabelId = nextId(state.host_labels);
  }

  set(host: Host, set: Labels, remove: string[], userId: number | null, now: string): boolean {
    let changed = false;
    for (const [key, value] of Object.entries(set)) {
      const labelKey = `${host.cluster_id}\u0000${key}`;
      let label = this.#labels.get(labelKey);
      if (!label) {
        label = { id: this.#nextLabelId++, label_name: key, cluster_id: host.cluster_id, create_user: userId, create_at: now, update_at: now };
        this.state.labels.push(label);
        this.#labels.set(labelKey, label);
      }
      const hlKey = `${host.id}\u0000${label.id}`;
      const existing = this.#hostLabels.get(hlKey);
      if (!existing) {
        const row: HostLabel = { id: this.#nextHostLabelId++, host_id: host.id, label_id: label.id, label_value: value, create_at: now, update_at: now };
        this.state.host_labels.push(row);
        this.#hostLabels.set(hlKey, row);
        changed = true;
      } else if (existing.label_value !== value) {
        existing.label_value = value;
        existing.update_at = now;
        changed = true;
      }
    }
    const removedIds = new Set<number>();
    for (const key of remove) {
      const label = this.#labels.get(`${host.cluster_id}\u0000${key}`);
      const hlKey = label ? `${host.id}\u0000${label.id}` : '';
      const row = this.#hostLabels.get(hlKey);
      if (row) {
        removedIds.add(row.id);
        this.#hostLabels.delete(hlKey);
      }
    }
    if (removedIds.size > 0) {
      this.state.host_labels = this.state.host_labels.filter((hl) => !removedIds.has(hl.id));
      changed = true;
    }
    if (changed) {
      host.update_at = now;
      this.#changed = true;
    }
    return changed;
  }

  finish(): void {
    if (this.#changed) pruneUnusedLabels(this.state);
  }
}

/** Sets or changes labels and removes others, keeping the cluster's Label definitions in step. */
export function setHostLabels(state: State, host: Host, set: Labels, remove: string[], userId: number | null, now: string): boolean {
  const writer = new LabelWriter(state);
  const changed = writer.set(host, set, remove, userId, now);
  writer.finish();
  return changed;
}

/** The Label table lists labels in use: a key no host carries any more is dropped from its cluster. */
export function pruneUnusedLabels(state: State): void {
  const used = new Set(state.host_labels.map((hl) => hl.label_id));
  state.labels = state.labels.filter((l) => used.has(l.id));
}
