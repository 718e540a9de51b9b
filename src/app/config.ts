// Use cases for `config render|diff|push <component>`. Render is local (no host is contacted); diff reads
// what each host has; push hands each host its bundle and lets the agent stage, validate, swap, reload,
// confirm, and restore on failure (src/agent/config.ts).
import { createHash } from 'node:crypto';
import type { ConfigPushResult, ConfigReadResult } from '../agent/config.js';
import type { TargetOptions } from '../core/targets.js';
import type { ConfigBundle } from '../components/config-model.js';
import { diffBundle } from '../components/config-diff.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { HostSession } from '../remote/session.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { configComponentArg, planConfig } from './config-plan.js';
import { runRemote, type RemoteRun } from './remote-run.js';

export interface ConfigOptions {
  rulesDir?: string;
  serial?: number;
  targets: TargetOptions & { limit?: string };
  onEvent?: (e: FanoutEvent<ConfigOutcome>, h: HostView) => void;
}

export interface RenderedHost {
  host: string;
  ip: string;
  cluster_name: string;
  component: string;
  files: Array<{ path: string; sha256: string; content: string }>;
}

export interface ConfigOutcome {
  component: string;
  action: 'diff' | 'push';
  changed: boolean;
  /** files a push writes (diff) or wrote (push) */
  files_changed: string[];
  pruned: string[];
  /** unified diff against the host; diff and --dry-run only */
  diff: string | null;
  validation: string | null;
  confirmation: string | null;
  steps: string[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function renderConfig(ctx: Context, component: string, opts: ConfigOptions): Promise<RenderedHost[]> {
  const c = configComponentArg(component);
  const plan = await planConfig(ctx, c, 'read', opts.targets, opts.rulesDir);
  return plan.hosts.map(({ host, bundle }) => ({
    host: host.name, ip: host.ip, cluster_name: host.cluster_name, component: c,
    files: bundle.files.map((f) => ({ path: f.path, sha256: sha256(f.content), content: f.content })),
  }));
}

/** runRemote resolves targets again; naming exactly the planned hosts keeps it to those that run the component. */
function plannedTargets(hosts: HostView[]): TargetOptions {
  return { hosts: hosts.map((h) => h.name).join(',') };
}

async function diffOne(session: HostSession, host: HostView, bundle: ConfigBundle): Promise<ConfigOutcome> {
  const agent = await session.agent();
  const current = await agent.call<ConfigReadResult>('config_read', { component: bundle.component, paths: bundle.files.map((f) => f.path) });
  const d = diffBundle(bundle.files, current.files, current.managed, `${host.name}:${current.config_dir}`);
  return { component: bundle.component, action: 'diff', changed: d.changed.length + d.pruned.length > 0, files_changed: d.changed, pruned: d.pruned, diff: d.text, validation: null, confirmation: null, steps: [] };
}

export async function diffConfig(ctx: Context, component: string, opts: ConfigOptions): Promise<RemoteRun<ConfigOutcome>> {
  const plan = await planConfig(ctx, configComponentArg(component), 'read', opts.targets, opts.rulesDir);
  const bundles = new Map(plan.hosts.map((p) => [p.host.id, p.bundle]));
  return runRemote<ConfigOutcome>(ctx, {
    permission: 'read',
    targets: plannedTargets(plan.hosts.map((p) => p.host)),
    mutating: false,
    defaultTimeoutS: 60,
    onEvent: opts.onEvent,
    work: (session, host) => diffOne(session, host, bundles.get(host.id)!),
  });
}

/** `--dry-run` is a diff: the same reading, nothing written. */
export async function pushConfig(ctx: Context, component: string, opts: ConfigOptions): Promise<RemoteRun<ConfigOutcome>> {
  const plan = await planConfig(ctx, configComponentArg(component), 'operate', opts.targets, opts.rulesDir);
  const bundles = new Map(plan.hosts.map((p) => [p.host.id, p.bundle]));
  return runRemote<ConfigOutcome>(ctx, {
    permission: 'operate',
    targets: plannedTargets(plan.hosts.map((p) => p.host)),
    mutating: true,
    defaultTimeoutS: 180,
    serial: opts.serial,
    onEvent: opts.onEvent,
    work: async (session, host) => {
      const bundle = bundles.get(host.id)!;
      if (ctx.globals.dryRun) return diffOne(session, host, bundle);
      const agent = await session.agent();
      const r = await agent.call<ConfigPushResult>('config_push', { component: bundle.component, files: bundle.files });
      return { component: bundle.component, action: 'push', changed: r.changed, files_changed: r.written, pruned: r.pruned, diff: null, validation: r.validation || null, confirmation: r.confirmation, steps: r.steps };
    },
  });
}
