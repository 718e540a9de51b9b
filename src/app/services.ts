// Use cases for services: install, lifecycle (start, stop, restart, reload, status, uninstall), upgrade,
// rollback, list. The artifact is fetched and verified once on the controller for the whole fleet, uploaded
// once per host (checked there), and the agent does the rest; service records follow every result.
import type { ActionResult, ServiceSpec, ServiceStatus } from '../agent/service-spec.js';
import type { Facts } from '../agent/protocol.js';
import { PromanagerError, UsageError } from '../core/errors.js';
import type { TargetOptions } from '../core/targets.js';
import { fetchArtifact, findCached, type CachedArtifact } from '../components/artifacts.js';
import { CATALOG, isComponentName, releaseArch, type ComponentName } from '../components/catalog.js';
import { planService } from '../components/service-plan.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { HostSession } from '../remote/session.js';
import { nextId } from '../store/fleet.js';
import type { State } from '../store/schema.js';
import { compareVersions, ensureComponent } from './components.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { runRemote, type RemoteRun } from './remote-run.js';

export type Lifecycle = 'start' | 'stop' | 'restart' | 'reload' | 'status' | 'uninstall';

export interface ServiceOutcome {
  component: ComponentName;
  action: string;
  changed: boolean;
  version: string | null;
  previous_version: string | null;
  status: ServiceStatus['state'] | 'removed' | 'planned';
  health: ServiceStatus['health'];
  pid: number | null;
  uptime_s: number | null;
  listen_address: string | null;
  uploaded: boolean;
  downloaded: boolean;
  steps: string[];
  plan: string[] | null;
}

export function componentArg(name: string): ComponentName {
  if (!isComponentName(name)) throw new UsageError(`unknown component '${name}'`, `components: ${Object.keys(CATALOG).join(', ')}`);
  return name;
}

export interface InstallOptions {
  version?: string;
  serial?: number;
  mirror?: string;
  listenAddress?: string;
  targets: TargetOptions & { limit?: string };
  onEvent?: (e: FanoutEvent<ServiceOutcome>, h: HostView) => void;
  onProgress?: (message: string) => void;
}

/** --version, else the host's `<component>_version` variable, else the newest version in the Component table. */
function versionFor(state: State, component: ComponentName, host: HostView, flag?: string): string {
  const fromVars = host.vars[`${component}_version`];
  const version = flag ?? (typeof fromVars === 'string' || typeof fromVars === 'number' ? String(fromVars) : undefined)
    ?? state.components.filter((c) => c.component_name === component).map((c) => c.version).sort(compareVersions).pop();
  if (!version) throw new UsageError(`no version for ${component} on ${host.name}`, `give --version, set ${component}_version in the inventory, or promanager component add ${component} <version>`);
  return version.replace(/^v/, '');
}

/** One download per artifact for the whole run, however many hosts need it. */
function artifactFetcher(ctx: Context, component: ComponentName, mirrorFlag: string | undefined, onProgress?: (m: string) => void) {
  const pending = new Map<string, Promise<CachedArtifact & { downloaded: boolean }>>();
  return (version: string, arch: string, host: HostView) => {
    const mirror = mirrorFlag ?? (typeof host.vars.artifact_mirror === 'string' ? host.vars.artifact_mirror : undefined);
    const key = `${version}|${arch}|${mirror ?? ''}`;
    let p = pending.get(key);
    if (!p) {
      let lastShown = 0;
      p = fetchArtifact(ctx.store.home, component, version, arch, mirror, (got, total) => {
        if (!onProgress || Date.now() - lastShown < 500) return;
        lastShown = Date.now();
        onProgress(`downloading ${component} ${version} ${arch}: ${(got / 1048576).toFixed(1)}${total ? ` / ${(total / 1048576).toFixed(1)}` : ''} MiB`);
      });
      pending.set(key, p);
    }
    return p;
  };
}

function outcomeOf(component: ComponentName, action: string, r: ActionResult, extra: Partial<ServiceOutcome>): ServiceOutcome {
  return {
    component, action, changed: r.changed, version: r.status.version, previous_version: r.status.previous_version,
    status: r.status.state, health: r.status.health, pid: r.status.pid, uptime_s: r.status.uptime_s,
    listen_address: null, uploaded: false, downloaded: false, steps: r.steps, plan: null, ...extra,
  };
}

async function rollOut(ctx: Context, component: ComponentName, action: 'install' | 'upgrade', opts: InstallOptions): Promise<RemoteRun<ServiceOutcome>> {
  const fetchOnce = artifactFetcher(ctx, component, opts.mirror, opts.onProgress);
  let state: State | null = null;
  return runRemote<ServiceOutcome>(ctx, {
    permission: 'operate',
    targets: opts.targets,
    mutating: true,
    defaultTimeoutS: 900,
    serial: opts.serial,
    onEvent: opts.onEvent,
    work: async (session: HostSession, host: HostView) => {
      state ??= await ctx.store.read();
      const version = versionFor(state, component, host, opts.version);
      const agent = await session.agent();
      const facts = await agent.call<Facts>('facts');
      const arch = releaseArch(facts.arch);
      if (ctx.globals.dryRun) return dryRunPlan(ctx, session, component, version, arch, host, facts, action);
      const artifact = await fetchOnce(version, arch, host);
      const spec = planService({ component, version, artifactFile: artifact.file, artifactSha256: artifact.sha256, host: { ...host, ...facts, name: host.name, vars: host.vars }, overrides: { listen_address: opts.listenAddress }, inventoryFile: ctx.globals.inventory });
      const { sent } = await session.upload(artifact.path, spec.artifact, artifact.sha256, artifact.bytes);
      const r = await agent.call<ActionResult>(action === 'install' ? 'service_install' : 'service_switch', { spec });
      return outcomeOf(component, action, r, { listen_address: spec.listen_address, uploaded: sent, downloaded: artifact.downloaded });
    },
    persist: (fresh, outcomes, now) => recordServices(fresh, component, outcomes, now),
  });
}

async function dryRunPlan(ctx: Context, session: HostSession, component: ComponentName, version: string, arch: string, host: HostView, facts: Facts, action: string): Promise<ServiceOutcome> {
  const status = await (await session.agent()).call<ServiceStatus>('service_status', { component });
  const cached = await findCached(ctx.store.home, component, version, arch);
  const plan: string[] = [];
  if (!cached) plan.push(`download ${component}-${version}.linux-${arch}.tar.gz and verify its sha256 (once for all hosts)`);
  if (status.version === version && status.state === 'running') plan.push('nothing to do: already installed and running');
  else {
    plan.push(`upload the tarball to ${host.name} unless it is already there (sha256 checked)`);
    if (action === 'install' && status.version && status.version !== version) plan.push(`refuse: ${status.version} is installed (use service upgrade)`);
    else plan.push(status.version ? `unpack ${version} beside ${status.version}, switch current, restart, health gate (switch back on failure)` : `unpack ${version}, create user/dirs/default config, set up the ${facts.has_systemd ? 'systemd unit' : 'supervisor'}, start, health gate`);
  }
  return { component, action, changed: plan.length > 1 || !plan[0]!.startsWith('nothing'), version: status.version, previous_version: status.previous_version, status: 'planned', health: status.health, pid: status.pid, uptime_s: status.uptime_s, listen_address: null, uploaded: false, downloaded: false, steps: [], plan };
}

export function installService(ctx: Context, component: string, opts: InstallOptions): Promise<RemoteRun<ServiceOutcome>> {
  return rollOut(ctx, componentArg(component), 'install', opts);
}

export function upgradeService(ctx: Context, component: string, opts: InstallOptions): Promise<RemoteRun<ServiceOutcome>> {
  if (!opts.version) throw new UsageError('service upgrade needs --version');
  return rollOut(ctx, componentArg(component), 'upgrade', opts);
}

export function rollbackService(ctx: Context, component: string, opts: InstallOptions): Promise<RemoteRun<ServiceOutcome>> {
  const c = componentArg(component);
  return runRemote<ServiceOutcome>(ctx, {
    permission: 'operate', targets: opts.targets, mutating: true, defaultTimeoutS: 300, serial: opts.serial, onEvent: opts.onEvent,
    work: async (session) => {
      const agent = await session.agent();
      const status = await agent.call<ServiceStatus>('service_status', { component: c });
      if (!status.previous_version) throw new PromanagerError(`${c} on ${session.target.name} has no previous version to roll back to`);
      if (ctx.globals.dryRun) return { ...emptyOutcome(c, 'rollback'), plan: [`switch ${status.version} -> ${status.previous_version}, restart, health gate`], status: 'planned' };
      const recorded = await agent.call<ServiceSpec>('service_spec', { component: c });
      const r = await agent.call<ActionResult>('service_switch', { spec: { ...recorded, version: status.previous_version } });
      return outcomeOf(c, 'rollback', r, { listen_address: recorded.listen_address });
    },
    persist: (fresh, outcomes, now) => recordServices(fresh, c, outcomes, now),
  });
}

function emptyOutcome(component: ComponentName, action: string): ServiceOutcome {
  return { component, action, changed: false, version: null, previous_version: null, status: 'stopped', health: 'unknown', pid: null, uptime_s: null, listen_address: null, uploaded: false, downloaded: false, steps: [], plan: null };
}

export function lifecycle(ctx: Context, action: Lifecycle, component: string, opts: { purge?: boolean; targets: TargetOptions & { limit?: string }; onEvent?: InstallOptions['onEvent'] }): Promise<RemoteRun<ServiceOutcome>> {
  const c = componentArg(component);
  return runRemote<ServiceOutcome>(ctx, {
    permission: action === 'status' ? 'read' : 'operate',
    targets: opts.targets,
    mutating: action !== 'status',
    defaultTimeoutS: 180,
    onEvent: opts.onEvent,
    work: async (session) => {
      const agent = await session.agent();
      if (action === 'status' || ctx.globals.dryRun) {
        const s = await agent.call<ServiceStatus>('service_status', { component: c });
        const out = outcomeOf(c, action, { changed: false, status: s, steps: [] }, {});
        return ctx.globals.dryRun && action !== 'status' ? { ...out, status: 'planned', plan: [`${action} ${c} (now ${s.state}${s.version ? `, ${s.version}` : ''})`] } : out;
      }
      if (action === 'uninstall') {
        const r = await agent.call<{ changed: boolean; steps: string[] }>('service_uninstall', { component: c, purge: Boolean(opts.purge) });
        return { ...emptyOutcome(c, action), changed: r.changed, steps: r.steps, status: 'removed' };
      }
      const r = await agent.call<ActionResult>(`service_${action}`, { component: c });
      return outcomeOf(c, action, r, {});
    },
    judge: action === 'status' ? (r) => (r.status === 'failed' ? `${c} has failed${r.health === 'failing' ? ' and is not healthy' : ''}` : null) : undefined,
    persist: (fresh, outcomes, now) => recordServices(fresh, c, outcomes, now),
  });
}

/** Keeps the Service table in step with what the hosts reported. */
function recordServices(state: State, component: ComponentName, outcomes: Array<{ ok: boolean; result: ServiceOutcome | null; host: HostView }>, now: string): void {
  for (const o of outcomes) {
    const host = state.hosts.find((h) => h.ip === o.host.ip);
    const r = o.result;
    if (!host || !r || r.status === 'planned') continue;
    const existing = state.services.find((s) => s.host_id === host.id && state.components.find((c) => c.id === s.component_id)?.component_name === component);
    if (r.status === 'removed' || r.status === 'not-installed') {
      if (existing) state.services = state.services.filter((s) => s !== existing);
      continue;
    }
    if (!r.version) continue;
    const row = ensureComponent(state, component, r.version, CATALOG[component].description, now);
    if (existing) {
      Object.assign(existing, { component_id: row.id, status: r.status, version: r.version, previous_version: r.previous_version, listen_address: r.listen_address ?? existing.listen_address, update_at: now });
    } else {
      state.services.push({ id: nextId(state.services), host_id: host.id, component_id: row.id, status: r.status, version: r.version, previous_version: r.previous_version, listen_address: r.listen_address ?? '', create_at: now, update_at: now });
    }
  }
}

export interface ServiceRow {
  host: string;
  ip: string;
  cluster_name: string;
  component_name: string;
  version: string;
  previous_version: string | null;
  status: string;
  listen_address: string;
  update_at: string;
}

export async function listServices(ctx: Context, targets: TargetOptions & { limit?: string }): Promise<ServiceRow[]> {
  const { listHosts } = await import('./hosts.js');
  const hosts = await listHosts(ctx, targets);
  const state = await ctx.store.read();
  const components = new Map(state.components.map((c) => [c.id, c]));
  const rows: ServiceRow[] = [];
  for (const h of hosts) {
    const host = state.hosts.find((x) => x.ip === h.ip);
    if (!host) continue;
    for (const s of state.services.filter((x) => x.host_id === host.id)) {
      rows.push({ host: h.name, ip: h.ip, cluster_name: h.cluster_name, component_name: components.get(s.component_id)?.component_name ?? '?', version: s.version, previous_version: s.previous_version, status: s.status, listen_address: s.listen_address, update_at: s.update_at });
    }
  }
  return rows;
}
