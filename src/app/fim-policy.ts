// FIM policies: which paths of which hosts are watched, and how. A policy belongs to a cluster (a bizadmin of
// it may manage it) or to every cluster (sysadmin only), optionally narrowed by a label selector.
import { ConflictError, NotFoundError, PromanagerError, UsageError, suggest } from '../core/errors.js';
import { matchesSelector, parseSelector } from '../core/selector.js';
import { FIM_ATTRIBUTES, type FimAttribute, type FimPolicySpec } from '../agent/fim-entry.js';
import { validateGlob } from '../agent/fim-glob.js';
import { findCluster, nextId } from '../store/fleet.js';
import { FIM_POLICY_NAME } from '../store/schema-fim.js';
import type { FimBaseline, FimPolicy, State } from '../store/schema.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { fimPath, removeQuietly } from './fim-files.js';
import { beginRead, confirmOrThrow } from './read.js';
import { visibleClusters } from './actor.js';
import { transact } from './transaction.js';
import { existsSync, renameSync } from 'node:fs';

export const DEFAULT_MAX_FILES = 1_000_000;
export const DEFAULT_MAX_BYTES = 64 * 1024 ** 3;

export interface PolicyInput {
  name: string;
  paths: string[];
  excludes: string[];
  maxDepth: number | null;
  attributes: string[] | null;
  followSymlinks: boolean;
  maxFiles: number | null;
  maxBytes: number | null;
  cluster: string | null;
  selector: string | null;
}

function normalisePath(p: string): string {
  if (!p.startsWith('/')) throw new UsageError(`--path '${p}' must be absolute`, 'e.g. --path /etc --path /usr/local/bin');
  if (p.includes('\0')) throw new UsageError('--path must not contain NUL');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

export function parseAttributes(list: string[] | null): FimAttribute[] {
  if (list === null) return [...FIM_ATTRIBUTES];
  const wanted = list.flatMap((l) => l.split(',')).map((a) => a.trim()).filter(Boolean);
  for (const a of wanted) {
    if (!(FIM_ATTRIBUTES as readonly string[]).includes(a)) {
      const hint = suggest(a, FIM_ATTRIBUTES);
      throw new UsageError(`unknown attribute '${a}'${hint.length ? ` (did you mean ${hint.join(' or ')}?)` : ''}`, `attributes: ${FIM_ATTRIBUTES.join(',')}`);
    }
  }
  // The type is what gives every other attribute its meaning: always recorded.
  return FIM_ATTRIBUTES.filter((a) => a === 'type' || wanted.includes(a));
}

export function findPolicy(state: State, name: string): FimPolicy {
  const p = state.fim_policies.find((x) => x.policy_name === name);
  if (!p) throw new NotFoundError('FIM policy', name, suggest(name, state.fim_policies.map((x) => x.policy_name)));
  return p;
}

export function policySpec(p: FimPolicy): FimPolicySpec {
  return { name: p.policy_name, paths: p.paths, excludes: p.excludes, max_depth: p.max_depth, attributes: p.attributes, follow_symlinks: p.follow_symlinks, max_files: p.max_files, max_bytes: p.max_bytes };
}

export function policyApplies(p: FimPolicy, host: Pick<HostView, 'cluster_id' | 'labels'>): boolean {
  if (p.cluster_id !== null && p.cluster_id !== host.cluster_id) return false;
  return p.selector === null || matchesSelector(host.labels, parseSelector(p.selector));
}

/** A policy for every cluster is a sysadmin's; otherwise its cluster's bizadmins manage it. */
export const policyClusters = (p: Pick<FimPolicy, 'cluster_id'>): number[] | null => (p.cluster_id === null ? null : [p.cluster_id]);
export const managePermission = (p: Pick<FimPolicy, 'cluster_id'>) => (p.cluster_id === null ? 'admin' as const : 'operate' as const);

export async function addPolicy(ctx: Context, input: PolicyInput): Promise<FimPolicy> {
  if (!FIM_POLICY_NAME.test(input.name)) throw new UsageError(`policy name '${input.name}' must be lower-case letters, digits, '.', '_' or '-' (up to 63), starting with a letter or digit`);
  if (input.paths.length === 0) throw new UsageError('a policy needs at least one --path');
  const paths = [...new Set(input.paths.map(normalisePath))];
  for (const g of input.excludes) {
    const problem = validateGlob(g);
    if (problem) throw new UsageError(`--exclude: ${problem}`);
  }
  if (input.selector !== null) parseSelector(input.selector);
  const attributes = parseAttributes(input.attributes);
  return transact(ctx, (tx) => {
    const cluster = input.cluster === null ? null : findCluster(tx.state, input.cluster);
    const policy: FimPolicy = {
      id: nextId(tx.state.fim_policies),
      policy_name: input.name,
      cluster_id: cluster?.id ?? null,
      selector: input.selector,
      paths,
      excludes: input.excludes,
      max_depth: input.maxDepth,
      attributes,
      follow_symlinks: input.followSymlinks,
      max_files: input.maxFiles ?? DEFAULT_MAX_FILES,
      max_bytes: input.maxBytes ?? DEFAULT_MAX_BYTES,
      create_user: tx.userId,
      create_at: tx.now,
      update_at: tx.now,
    };
    tx.require(managePermission(policy), policyClusters(policy));
    if (tx.state.fim_policies.some((p) => p.policy_name === input.name)) {
      throw new ConflictError(`FIM policy '${input.name}' exists already`, { hint: `remove it first (promanager fim policy remove ${input.name}) or choose another name` });
    }
    tx.state.fim_policies.push(policy);
    if (cluster) tx.touch({ clusters: [cluster.cluster_name] });
    return policy;
  });
}

export interface PolicyRow extends FimPolicy {
  cluster_name: string | null;
  baselines: number;
  scheduled: number;
}

export async function listPolicies(ctx: Context): Promise<PolicyRow[]> {
  const { state, actor } = await beginRead(ctx);
  const visible = visibleClusters(actor);
  return state.fim_policies
    .filter((p) => p.cluster_id === null || visible === 'all' || visible.has(p.cluster_id))
    .map((p) => {
      const rows = state.fim_baselines.filter((b) => b.policy_id === p.id);
      return {
        ...p,
        cluster_name: p.cluster_id === null ? null : (state.clusters.find((c) => c.id === p.cluster_id)?.cluster_name ?? `#${p.cluster_id}`),
        baselines: rows.length,
        scheduled: rows.filter((b) => b.schedule !== null).length,
      };
    });
}

/**
 * Removes a policy with its baselines and drift. Its event journals are moved to fim/archive/, not deleted:
 * what was detected stays on record. A policy still scheduled on hosts is refused (cron would keep running).
 */
export async function removePolicy(ctx: Context, name: string): Promise<{ policy: string; baselines: number }> {
  const { state } = await beginRead(ctx);
  const policy = findPolicy(state, name);
  const rows = state.fim_baselines.filter((b) => b.policy_id === policy.id);
  if (rows.length > 0) await confirmOrThrow(ctx, `remove FIM policy '${name}' and its baselines on ${rows.length} host(s)`);
  const removed = await transact(ctx, (tx) => {
    const p = findPolicy(tx.state, name);
    tx.require(managePermission(p), policyClusters(p));
    const mine = tx.state.fim_baselines.filter((b) => b.policy_id === p.id);
    const scheduled = mine.filter((b) => b.schedule !== null);
    if (scheduled.length > 0) {
      throw new PromanagerError(`FIM policy '${name}' is still scheduled on ${scheduled.length} host(s)`, { hint: `remove the cron entries first: promanager fim unschedule ${name}` });
    }
    tx.state.fim_policies = tx.state.fim_policies.filter((x) => x.id !== p.id);
    tx.state.fim_baselines = tx.state.fim_baselines.filter((b) => b.policy_id !== p.id);
    const cluster = p.cluster_id === null ? null : tx.state.clusters.find((c) => c.id === p.cluster_id);
    if (cluster) tx.touch({ clusters: [cluster.cluster_name] });
    tx.touch({ hosts: tx.state.hosts.filter((h) => mine.some((b) => b.host_id === h.id)).map((h) => h.name) });
    return { rows: mine, stamp: Date.parse(tx.now) };
  });
  // Only once the state no longer points at them.
  if (!ctx.globals.dryRun) for (const b of removed.rows) retireFiles(ctx.store.home, b, name, removed.stamp);
  return { policy: name, baselines: removed.rows.length };
}

function retireFiles(home: string, b: FimBaseline, policy: string, stamp: number): void {
  removeQuietly(fimPath(home, 'baselines', b.file));
  if (b.drift_file) removeQuietly(fimPath(home, 'drift', b.drift_file));
  const events = fimPath(home, 'events', b.events_file);
  if (existsSync(events)) renameSync(events, fimPath(home, 'archive', `${b.events_file.replace(/\.ndjson$/, '')}-${policy}-${stamp}.ndjson`));
}
