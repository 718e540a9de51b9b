// Writes an Inventory in promanager's own YAML format, laid out like the CLI contract's example: small maps on
// one line (`labels: { zone: a }`, short hosts as `- { name: x, ip: y }`), empty fields left out.
// readPromanagerInventory reads the result back to an equal Inventory.

import { Document, isMap, isPair, isScalar, isSeq, stringify } from 'yaml';
import type { Pair } from 'yaml';
import type { Inventory, InventoryCluster, InventoryHost, SshSettings } from './model.js';

/** Flow maps longer than this are written as blocks; with the usual indentation lines stay under ~110 columns. */
const MAX_FLOW_LENGTH = 100;

export function writePromanagerYaml(inv: Inventory): string {
  const content: Record<string, unknown> = {};
  const defaults = withoutEmpty({ ssh: sshObject(inv.defaults.ssh), vars: inv.defaults.vars });
  if (defaults !== undefined) content.defaults = defaults;
  content.clusters = Object.fromEntries(inv.clusters.map((cluster) => [cluster.name, clusterObject(cluster)]));

  const doc = new Document(content, { version: '1.2' });
  // The skeleton (top level, defaults, clusters, each cluster, the hosts list) stays in block style; below it,
  // whatever is short enough to read on one line is written there.
  if (isMap(doc.contents)) {
    for (const section of doc.contents.items) {
      if (!isMap(section.value)) continue;
      const isDefaults = isScalar(section.key) && section.key.value === 'defaults';
      for (const entry of section.value.items) {
        if (isDefaults || !isMap(entry.value)) compact(entry.value);
        else for (const field of entry.value.items) compactClusterField(field);
      }
    }
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

function compactClusterField(field: Pair<unknown, unknown>): void {
  const isHostList = isScalar(field.key) && field.key.value === 'hosts' && isSeq(field.value);
  if (isHostList && isSeq(field.value)) for (const host of field.value.items) compact(host);
  else compact(field.value);
}

/** One line when short enough, else block style with the same treatment one level down. */
function compact(node: unknown): void {
  if (!isMap(node) && !isSeq(node)) return;
  const oneLine = stringify(node.toJSON(), { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: true }).trim();
  node.flow = oneLine.length <= MAX_FLOW_LENGTH && !oneLine.includes('\n');
  if (node.flow) return;
  for (const item of node.items) compact(isPair(item) ? item.value : item);
}

function clusterObject(cluster: InventoryCluster): Record<string, unknown> {
  return (
    withoutEmpty({
      description: cluster.description === '' ? undefined : cluster.description,
      labels: cluster.labels,
      vars: cluster.vars,
      ssh: sshObject(cluster.ssh),
      hosts: cluster.hosts.length === 0 ? undefined : cluster.hosts.map(hostObject),
    }) ?? {}
  );
}

function hostObject(host: InventoryHost): Record<string, unknown> {
  return (
    withoutEmpty({
      // The reader names a host after its IP when no name is written, so that name need not be written.
      name: host.name === host.ip ? undefined : host.name,
      ip: host.ip,
      labels: host.labels,
      vars: host.vars,
      ssh: sshObject(host.ssh),
    }) ?? {}
  );
}

/** In the reader's key order, without unset fields. */
function sshObject(ssh: SshSettings): Record<string, unknown> {
  return withoutEmpty({ user: ssh.user, port: ssh.port, key: ssh.key, become: ssh.become }) ?? {};
}

/** Drops undefined fields and empty maps; undefined when nothing is left. */
function withoutEmpty(fields: Record<string, unknown>): Record<string, unknown> | undefined {
  const kept = Object.entries(fields).filter(([, value]) => {
    if (value === undefined) return false;
    return !(typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
  });
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}
