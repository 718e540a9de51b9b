// Use cases for hosts: add, list, show, remove, label.
import { PromanagerError } from '../core/errors.js';
import { selectTargets, type TargetOptions } from '../core/targets.js';
import { parseLabelArg, validateLabelKey, validateLabelValue } from '../inventory/labels.js';
import { addHost as addHostRow, findCluster, findHost, hostLabels, removeHostRows, setHostLabels } from '../store/fleet.js';
import type { SshSettings } from '../store/schema.js';
import { refuseWithInventory } from './clusters.js';
import type { Context } from './context.js';
import { buildHostViews, loadFleet, type HostView } from './fleet-view.js';
import { beginRead, confirmOrThrow } from './read.js';
import { transact } from './transaction.js';
import { requirePermission } from './actor.js';
import { failedHostsOf } from './last-run.js';

export interface AddHostInput {
  ip: string;
  cluster: string;
  name?: string;
  port?: number;
  user?: string;
  key?: string;
  become?: boolean;
  labels: string[];
}

export async function addHost(ctx: Context, input: AddHostInput): Promise<HostView> {
  refuseWithInventory(ctx, 'host add');
  const labels = parseLabelList(input.labels);
  return transact(ctx, (tx) => {
    const cluster = findCluster(tx.state, input.cluster);
    tx.require('operate', [cluster.id]);
    const ssh: SshSettings = {};
    if (input.user !== undefined) ssh.user = input.user;
    if (input.port !== undefined) ssh.port = input.port;
    if (input.key !== undefined) ssh.key = input.key;
    if (input.become) ssh.become = true;
    const host = addHostRow(tx.state, cluster, { ip: input.ip, name: input.name, ssh, labels }, tx.userId, tx.now);
    tx.touch({ clusters: [cluster.cluster_name], hosts: [host.name] });
    return buildHostViews(tx.state).find((h) => h.id === host.id)!;
  });
}

/** Hosts the actor may see, narrowed by the targeting flags. */
export async function listHosts(ctx: Context, targets: TargetOptions & { limit?: string }): Promise<HostView[]> {
  const { state, actor } = await beginRead(ctx);
  const fleet = await loadFleet(ctx, state, actor);
  if (targets.cluster) findCluster(fleet.state, targets.cluster);
  const limitFailed = targets.limit ? failedHostsOf(state, ctx, targets.limit) : undefined;
  return selectTargets(fleet.hosts, { ...targets, limitFailed });
}

export async function showHost(ctx: Context, nameOrIp: string): Promise<HostView & { services: unknown[] }> {
  const { state, actor } = await beginRead(ctx);
  const fleet = await loadFleet(ctx, state, { ...actor, grants: [{ role: 'sysadmin', clusterId: null }] });
  const host = findHost(fleet.state, nameOrIp);
  requirePermission(state, actor, 'read', [host.cluster_id], ctx.command);
  const view = fleet.hosts.find((h) => h.id === host.id)!;
  const components = new Map(state.components.map((c) => [c.id, c]));
  const services = fleet.state.services.filter((s) => s.host_id === host.id).map((s) => ({
    component_name: components.get(s.component_id)?.component_name ?? null, version: s.version, status: s.status, listen_address: s.listen_address,
  }));
  return { ...view, services };
}

export async function removeHost(ctx: Context, nameOrIp: string): Promise<{ host: string; ip: string }> {
  refuseWithInventory(ctx, 'host remove');
  const { state } = await beginRead(ctx);
  const host = findHost(state, nameOrIp);
  const services = state.services.filter((s) => s.host_id === host.id).length;
  if (services > 0) await confirmOrThrow(ctx, `host '${host.name}' has ${services} service record(s); forget it anyway (nothing on the host is touched)`);
  return transact(ctx, (tx) => {
    const fresh = findHost(tx.state, nameOrIp);
    tx.require('operate', [fresh.cluster_id]);
    removeHostRows(tx.state, fresh.id);
    tx.touch({ hosts: [fresh.name] });
    return { host: fresh.name, ip: fresh.ip };
  });
}

export interface LabelChange {
  host: string;
  labels: Record<string, string>;
  changed: boolean;
}

export async function labelHost(ctx: Context, nameOrIp: string, args: string[]): Promise<LabelChange> {
  refuseWithInventory(ctx, 'host label');
  if (args.length === 0) throw new PromanagerError('host label needs at least one k=v, k (bare label) or k- (remove)', { exitCode: 2 });
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const arg of args) {
    const parsed = parseLabelArg(arg);
    if ('remove' in parsed) remove.push(parsed.remove);
    else set[parsed.key] = parsed.value;
  }
  return transact(ctx, (tx) => {
    const host = findHost(tx.state, nameOrIp);
    tx.require('operate', [host.cluster_id]);
    const changed = setHostLabels(tx.state, host, set, remove, tx.userId, tx.now);
    tx.touch({ hosts: [host.name] });
    return { host: host.name, labels: hostLabels(tx.state, host.id), changed };
  });
}

function parseLabelList(args: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const arg of args) {
    const parsed = parseLabelArg(arg);
    if ('remove' in parsed) throw new PromanagerError(`--label ${arg}: removing a label makes no sense on a new host`, { exitCode: 2 });
    const problem = validateLabelKey(parsed.key) ?? validateLabelValue(parsed.value);
    if (problem) throw new PromanagerError(`--label ${arg}: ${problem}`, { exitCode: 2 });
    labels[parsed.key] = parsed.value;
  }
  return labels;
}
