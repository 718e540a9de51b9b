// Agent methods for services: install, start, stop, restart, reload, status, switch (upgrade and rollback),
// uninstall. A start, restart or reload is ok only once the health endpoint answers; otherwise the call fails
// with the last lines of the service's log.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Handler } from './handlers.js';
import { AgentFailure } from './handlers.js';
import type { ActionResult, ServiceSpec } from './service-spec.js';
import { prepare, switchVersion, uninstall, unpack } from './service-install.js';
import { logTail, mainPid, processAlive, serviceStatus, startService, stopService, systemdRunning } from './service-runtime.js';
import { httpRequest, waitHealthy } from './health.js';
import { supervise } from './supervisor.js';
import { currentWho, serviceLayout } from './layout.js';
import { alignTextfileDir } from './textfile-align.js';
import { cleanHost } from './host-clean.js';

/** Where an installed service's spec lives: the same layout the controller plans (root or under ~). */
export function runDirFor(component: string): string {
  return serviceLayout(component, currentWho()).run_dir;
}

/**
 * What an uninstall works on when the spec is gone (uninstalled before without --purge, or half removed):
 * the standard layout, so leftovers are still found and `uninstall` of nothing is a no-op, not an error.
 */
function leftoverSpec(component: string): ServiceSpec {
  const who = currentWho();
  const l = serviceLayout(component, who);
  const unit = `${component}.service`;
  return {
    component, version: '', main_binary: component, artifact: path.join(l.artifacts_dir, '-'), artifact_sha256: '',
    base_dir: l.base_dir, config_dir: l.config_dir, data_dir: l.data_dir, log_file: l.log_file, run_dir: l.run_dir,
    user: who.root ? component : null, exec: [], listen_address: '', health_url: '', reload: 'restart', reload_url: null,
    manager: who.root && existsSync(path.join('/etc/systemd/system', unit)) ? 'systemd' : 'supervisor',
    unit_name: unit, unit_text: '', default_config: null, stop_timeout_s: 30, health_timeout_s: 60, log_max_bytes: 0, log_keep: 3,
  };
}

/** The fields whose change needs the running process restarted to take effect (flags, unit, user). */
function runtimeOf(spec: ServiceSpec | null): string {
  return spec ? JSON.stringify([spec.exec, spec.unit_text, spec.user, spec.manager]) : '';
}

function installedSpec(component: string): ServiceSpec | null {
  try {
    return JSON.parse(readFileSync(path.join(runDirFor(component), 'spec.json'), 'utf8')) as ServiceSpec;
  } catch {
    return null;
  }
}

/** The full spec (install, upgrade), or the one recorded at install (lifecycle commands send the component only). */
function specOf(params: unknown): ServiceSpec {
  const p = params as { spec?: ServiceSpec; component?: string };
  if (p.spec && typeof p.spec.component === 'string' && typeof p.spec.base_dir === 'string') return p.spec;
  if (typeof p.component === 'string' && /^[a-z_]+$/.test(p.component)) {
    try {
      return JSON.parse(readFileSync(path.join(runDirFor(p.component), 'spec.json'), 'utf8')) as ServiceSpec;
    } catch {
      throw new AgentFailure('not_found', `${p.component} is not installed here (no promanager service record on this host)`);
    }
  }
  throw new AgentFailure('bad_request', "give 'spec' or 'component'");
}

/** Restarts the supervisor has counted so far (a crash during start-up fails the gate at once). */
function supervisorRestarts(spec: ServiceSpec): number {
  try {
    const s = JSON.parse(readFileSync(path.join(spec.run_dir, 'status.json'), 'utf8')) as { restarts?: number; state?: string };
    return s.state === 'failed' ? Number.MAX_SAFE_INTEGER : (s.restarts ?? 0);
  } catch {
    return 0;
  }
}

async function gate(spec: ServiceSpec, steps: string[]): Promise<void> {
  const baseline = supervisorRestarts(spec);
  const startedAt = Date.now();
  // Under systemd: the main process exists. Under the supervisor: it has not had to restart the component.
  const alive = () => (spec.manager === 'systemd' ? mainPid(spec) !== null || Date.now() - startedAt < 2000 : supervisorRestarts(spec) <= baseline);
  const result = await waitHealthy(spec.health_url, spec.health_timeout_s, alive);
  if (!result.ok) {
    throw new AgentFailure('failed', `${spec.component} is not healthy: ${result.reason}`, { log: logTail(spec) });
  }
  steps.push(`${spec.health_url} answers`);
}

async function result(spec: ServiceSpec, changed: boolean, steps: string[]): Promise<ActionResult> {
  return { changed, status: await serviceStatus(spec), steps };
}

async function start(spec: ServiceSpec, steps: string[]): Promise<boolean> {
  const started = startService(spec, __filename);
  if (started) steps.push(`started ${spec.component} (${spec.manager})`);
  await gate(spec, steps);
  return started;
}

async function restart(spec: ServiceSpec, steps: string[]): Promise<void> {
  if (await stopService(spec)) steps.push(`stopped ${spec.component}`);
  startService(spec, __filename);
  steps.push(`started ${spec.component} (${spec.manager})`);
  await gate(spec, steps);
}

export const serviceHandlers: Record<string, Handler> = {
  service_install: async (params) => {
    const spec = specOf(params);
    // The bootstrap's umask 077 suits our own files; installed software must be readable by its service user.
    process.umask(0o022);
    const steps: string[] = [];
    let changed = unpack(spec, steps);
    const before = await serviceStatus(spec);
    if (before.version && before.version !== spec.version) {
      throw new AgentFailure('failed', `${spec.component} ${before.version} is installed; use service upgrade to move to ${spec.version}`);
    }
    // A running service whose flags or unit changed (e.g. node_exporter_textfile_dir) runs the old ones until
    // restarted: the install converges by restarting it, health-gated.
    const reconfigured = before.state === 'running' && runtimeOf(installedSpec(spec.component)) !== runtimeOf(spec);
    if (prepare(spec, steps)) changed = true;
    // node_exporter reads one textfile directory: the scheduled writers on this host move there with it.
    if (spec.textfile_dir) steps.push(...alignTextfileDir(spec.textfile_dir));
    if (switchVersion(spec, spec.version, steps)) changed = true;
    if (reconfigured) {
      steps.push(`flags or unit changed: restarting ${spec.component}`);
      await restart(spec, steps);
      changed = true;
    } else if (await start(spec, steps)) changed = true;
    return result(spec, changed, steps);
  },
  /** Upgrade and rollback: unpack if needed, switch, restart, gate; on a failed gate switch back and restart. */
  service_switch: async (params) => {
    const spec = specOf(params);
    process.umask(0o022);
    const steps: string[] = [];
    const from = (await serviceStatus(spec)).version;
    if (from === spec.version) return result(spec, false, steps);
    unpack(spec, steps);
    prepare(spec, steps);
    switchVersion(spec, spec.version, steps);
    try {
      await restart(spec, steps);
    } catch (err) {
      if (!from) throw err;
      steps.push(`health gate failed: switching back to ${from}`);
      switchVersion(spec, from, steps);
      await restart(spec, steps).catch(() => undefined);
      const detail = err instanceof AgentFailure ? (err.detail as { log?: string } | undefined) : undefined;
      throw new AgentFailure('failed', `${spec.component} ${spec.version} failed its health gate; rolled back to ${from}: ${(err as Error).message}`, { log: detail?.log, steps, rolled_back_to: from });
    }
    return result(spec, true, steps);
  },
  service_start: async (params) => {
    const spec = specOf(params);
    const steps: string[] = [];
    if (!(await serviceStatus(spec)).version) throw new AgentFailure('not_found', `${spec.component} is not installed here`);
    const changed = await start(spec, steps);
    return result(spec, changed, steps);
  },
  service_stop: async (params) => {
    const spec = specOf(params);
    const steps: string[] = [];
    const changed = await stopService(spec);
    if (changed) steps.push(`stopped ${spec.component}`);
    return result(spec, changed, steps);
  },
  service_restart: async (params) => {
    const spec = specOf(params);
    const steps: string[] = [];
    await restart(spec, steps);
    return result(spec, true, steps);
  },
  service_reload: async (params) => {
    const spec = specOf(params);
    const steps: string[] = [];
    const pid = mainPid(spec);
    if (!processAlive(pid)) throw new AgentFailure('failed', `${spec.component} is not running; start it first`);
    if (spec.reload === 'http' && spec.reload_url) {
      const res = await httpRequest(spec.reload_url, 'POST', 30_000);
      if (res.status !== 200) throw new AgentFailure('failed', `${spec.reload_url} answered HTTP ${res.status}: ${res.body.trim().slice(0, 500)}`, { log: logTail(spec) });
      steps.push(`POST ${spec.reload_url}`);
    } else if (spec.reload === 'sighup') {
      process.kill(pid!, 'SIGHUP');
      steps.push(`SIGHUP to ${pid}`);
    } else {
      await restart(spec, steps);
      return result(spec, true, steps);
    }
    await gate(spec, steps);
    return result(spec, true, steps);
  },
  host_clean: (params) => cleanHost((params as { purge?: boolean }).purge === true, leftoverSpec, installedSpec),
  /** Where `service logs` reads: the journal only where systemd runs (a unit written on a host without it never ran). */
  service_log_source: (params) => {
    specOf(params);
    return { systemd_running: systemdRunning() };
  },
  /** The spec recorded at install, for rollback (same paths and flags, the previous version). */
  service_spec: (params) => specOf(params),
  service_status: async (params) => {
    try {
      return await serviceStatus(specOf(params));
    } catch (err) {
      if (err instanceof AgentFailure && err.code === 'not_found') {
        const component = (params as { component?: string }).component ?? '';
        return { component, state: 'not-installed', pid: null, version: null, previous_version: null, uptime_s: null, health: 'unknown', manager: null, restarts: 0, detail: null };
      }
      throw err;
    }
  },
  service_uninstall: async (params) => {
    const component = (params as { component?: string }).component;
    const spec = typeof component === 'string' && /^[a-z_]+$/.test(component) ? installedSpec(component) ?? leftoverSpec(component) : specOf(params);
    const purge = Boolean((params as { purge?: boolean }).purge);
    const steps: string[] = [];
    let changed = false;
    if (await stopService(spec)) {
      steps.push(`stopped ${spec.component}`);
      changed = true;
    }
    if (uninstall(spec, purge, steps)) changed = true;
    return { changed, steps, purged: purge, data_kept: !purge && spec.data_dir !== null && existsSync(spec.data_dir) };
  },
};

/** Modes run as `node agent.cjs <mode> [args]` (from cron or as a service supervisor), not over the protocol. */
export const serviceModes: Record<string, (args: string[]) => Promise<number>> = {
  supervise,
};
