// Starting, stopping and inspecting a service under either manager: systemd where it runs, else the built-in
// supervisor. Callers see one interface and one status shape.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { ServiceSpec, ServiceStatus } from './service-spec.js';
import { statusFile, supervisorPidFile, type SupervisorStatus } from './supervisor.js';
import { healthy } from './health.js';

export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

export function processAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    // a zombie still answers kill 0; it is not running
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function readSupervisorStatus(runDir: string): SupervisorStatus | null {
  try {
    return JSON.parse(readFileSync(statusFile(runDir), 'utf8')) as SupervisorStatus;
  } catch {
    return null;
  }
}

export function currentVersion(spec: Pick<ServiceSpec, 'base_dir'>): string | null {
  try {
    return path.basename(readlinkSync(path.join(spec.base_dir, 'current')));
  } catch {
    return null;
  }
}

export function previousVersion(spec: Pick<ServiceSpec, 'base_dir'>): string | null {
  try {
    return path.basename(readlinkSync(path.join(spec.base_dir, 'previous')));
  } catch {
    return null;
  }
}

function systemctl(args: string[]): string {
  return execFileSync('systemctl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The main pid of the running service, under either manager. */
export function mainPid(spec: ServiceSpec): number | null {
  if (spec.manager === 'systemd') {
    try {
      const pid = Number(/MainPID=(\d+)/.exec(systemctl(['show', '-p', 'MainPID', spec.unit_name]))?.[1] ?? 0);
      return pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }
  const sup = readSupervisorStatus(spec.run_dir);
  const supervisorPid = readPid(supervisorPidFile(spec.run_dir));
  if (!processAlive(supervisorPid)) return null;
  return sup && processAlive(sup.pid) ? sup.pid : null;
}

export async function serviceStatus(spec: ServiceSpec): Promise<ServiceStatus> {
  const version = currentVersion(spec);
  const base: ServiceStatus = { component: spec.component, state: 'stopped', pid: null, version, previous_version: previousVersion(spec), uptime_s: null, health: 'unknown', manager: spec.manager, restarts: 0, detail: null };
  if (!version) return { ...base, state: 'not-installed', manager: null };
  if (spec.manager === 'systemd') {
    let active = 'unknown';
    try {
      active = systemctl(['is-active', spec.unit_name]).trim();
    } catch (err) {
      active = String((err as { stdout?: string }).stdout ?? 'inactive').trim();
    }
    const pid = mainPid(spec);
    const state = active === 'active' ? 'running' : active === 'failed' ? 'failed' : 'stopped';
    return { ...base, state, pid, health: state === 'running' ? ((await healthy(spec.health_url)) ? 'ok' : 'failing') : 'unknown', detail: `systemd: ${active}` };
  }
  const sup = readSupervisorStatus(spec.run_dir);
  const supervisorAlive = processAlive(readPid(supervisorPidFile(spec.run_dir)));
  if (supervisorAlive && sup && processAlive(sup.pid)) {
    return {
      ...base, state: 'running', pid: sup.pid, restarts: sup.restarts,
      uptime_s: sup.started_at ? Math.round((Date.now() - sup.started_at) / 1000) : null,
      health: (await healthy(spec.health_url)) ? 'ok' : 'failing',
      detail: sup.last_exit ? `last exit: ${sup.last_exit}` : null,
    };
  }
  if (supervisorAlive) return { ...base, state: 'running', restarts: sup?.restarts ?? 0, health: 'failing', detail: 'restarting after a failure' };
  if (sup?.state === 'failed') return { ...base, state: 'failed', restarts: sup.restarts, detail: sup.last_exit };
  return { ...base, detail: sup?.last_exit ? `last exit: ${sup.last_exit}` : null };
}

/** Starts the service if it is not running; returns whether anything was started. */
export function startService(spec: ServiceSpec, agentFile: string): boolean {
  if (spec.manager === 'systemd') {
    const wasActive = (() => {
      try {
        return systemctl(['is-active', spec.unit_name]).trim() === 'active';
      } catch {
        return false;
      }
    })();
    if (!wasActive) systemctl(['start', spec.unit_name]);
    return !wasActive;
  }
  if (processAlive(readPid(supervisorPidFile(spec.run_dir)))) return false;
  const out = openSync(spec.log_file, 'a', 0o640);
  // Detached and in its own session: it outlives this agent and the SSH connection, by design.
  const sup = spawn(process.execPath, [agentFile, 'supervise', spec.run_dir], { detached: true, stdio: ['ignore', out, out] });
  sup.unref();
  return true;
}

/** Stops the service (TERM, then KILL after the deadline); returns whether it was running. */
export async function stopService(spec: ServiceSpec): Promise<boolean> {
  if (spec.manager === 'systemd') {
    const pid = mainPid(spec);
    systemctl(['stop', spec.unit_name]);
    return pid !== null;
  }
  const supervisorPid = readPid(supervisorPidFile(spec.run_dir));
  if (!processAlive(supervisorPid)) return false;
  process.kill(supervisorPid!, 'SIGTERM');
  const deadline = Date.now() + (spec.stop_timeout_s + 5) * 1000;
  while (processAlive(supervisorPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (processAlive(supervisorPid)) {
    const sup = readSupervisorStatus(spec.run_dir);
    for (const pid of [sup?.pid, supervisorPid]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  return true;
}

/** The last lines of the service's log, for a failure report. */
export function logTail(spec: ServiceSpec, lines = 15): string {
  try {
    if (spec.manager === 'systemd') return execFileSync('journalctl', ['-u', spec.unit_name, '-n', String(lines), '--no-pager'], { encoding: 'utf8' });
    const text = readFileSync(spec.log_file, 'utf8');
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
