// The inventory as read from a file, before it meets the state. Readers of every format produce this shape;
// `inventory import` and `-i FILE` consume it.

export interface SshSettings {
  user?: string;
  port?: number;
  key?: string;
  become?: boolean;
}

export type Vars = Record<string, unknown>;
export type Labels = Record<string, string>;

/** Where a thing was written, for file:line:col messages. */
export interface SourcePos {
  line: number;
  col: number;
}

export interface InventoryHost {
  name: string;
  ip: string;
  /** Labels written on the host itself (cluster labels are kept on the cluster; see effectiveLabels). */
  labels: Labels;
  vars: Vars;
  ssh: SshSettings;
  pos?: SourcePos;
}

export interface InventoryCluster {
  name: string;
  description: string;
  labels: Labels;
  vars: Vars;
  ssh: SshSettings;
  hosts: InventoryHost[];
  pos?: SourcePos;
}

export interface Inventory {
  file: string;
  format: 'promanager' | 'ansible-yaml' | 'ansible-ini';
  defaults: { ssh: SshSettings; vars: Vars };
  clusters: InventoryCluster[];
}

/** Cluster labels are given to every host of the cluster; the host's own win. */
export function effectiveLabels(cluster: InventoryCluster, host: InventoryHost): Labels {
  return { ...cluster.labels, ...host.labels };
}

/** The most specific SSH setting wins: defaults < cluster < host. */
export function effectiveSsh(inv: Inventory, cluster: InventoryCluster, host: InventoryHost): SshSettings {
  return { ...inv.defaults.ssh, ...cluster.ssh, ...host.ssh };
}

export function effectiveVars(inv: Inventory, cluster: InventoryCluster, host: InventoryHost): Vars {
  return { ...inv.defaults.vars, ...cluster.vars, ...host.vars };
}
