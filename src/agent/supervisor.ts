// The built-in supervisor, for hosts without systemd (containers, CI, minimal hosts): a detached process per
// service that runs the component in its own process group as its own user, appends its output to a log
// rotated by size, restarts it when it fails (like Restart=on-failure, with backoff and a burst limit), and on
// SIGTERM stops it (TERM, wait, KILL). It is what `node agent.cjs supervise <run_dir>` runs.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ServiceSpec } from './service-spec.js';

export interface SupervisorStatus {
  state: 'running' | 'stopped' | 'failed';
  supervisor_pid: number;
  pid: number | null;
  started_at: number | null;
  restarts: number;
  last_exit: string | null;
  version: string | null;
}

export function statusFile(runDir: string): string {
  return path.join(runDir, 'status.json');
}
export function supervisorPidFile(runDir: string): string {
  return path.join(runDir, 'supervisor.pid');
}

function writeAtomic(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, file);
}

/** Appends to the log, rotating log -> log.1 -> ... log.N when it passes the size limit. */
class RotatingLog {
  #fd: number;
  #size: number;
  constructor(private readonly file: string, private readonly maxBytes: number, private readonly keep: number) {
    this.#fd = openSync(file, 'a', 0o640);
    this.#size = existsSync(file) ? statSync(file).size : 0;
  }
  write(chunk: Buffer): void {
    if (this.#size + chunk.length > this.maxBytes) this.#rotate();
    writeSync(this.#fd, chunk);
    this.#size += chunk.length;
  }
  #rotate(): void {
    closeSync(this.#fd);
    for (let i = this.keep - 1; i >= 1; i--) {
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    }
    renameSync(this.file, `${this.file}.1`);
    this.#fd = openSync(this.file, 'a', 0o640);
    this.#size = 0;
  }
  line(text: string): void {
    this.write(Buffer.from(`${new Date().toISOString()} promanager-supervisor: ${text}\n`));
  }
}

function userIds(user: string | null): { uid?: number; gid?: number } {
  if (!user || process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
  return { uid, gid };
}

export async function supervise(args: string[]): Promise<number> {
  const runDir = args[0];
  if (!runDir) throw new Error('usage: supervise <run_dir>');
  const spec = JSON.parse(readFileSync(path.join(runDir, 'spec.json'), 'utf8')) as ServiceSpec;
  const log = new RotatingLog(spec.log_file, spec.log_max_bytes, spec.log_keep);
  const current = path.join(spec.base_dir, 'current');
  const argv = spec.exec.map((a) => a.split('{current}').join(current));
  const ids = userIds(spec.user);
  const status: SupervisorStatus = { state: 'running', supervisor_pid: process.pid, pid: null, started_at: null, restarts: 0, last_exit: null, version: null };
  const save = () => writeAtomic(statusFile(runDir), JSON.stringify(status));
  writeAtomic(supervisorPidFile(runDir), String(process.pid));
  let child: ChildProcess | null = null;
  let stopping = false;
  const recentFailures: number[] = [];

  const startChild = () => {
    try {
      status.version = path.basename(readlinkSync(current));
    } catch {
      status.version = null;
    }
    const proc = spawn(argv[0]!, argv.slice(1), { cwd: spec.data_dir ?? runDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...ids });
    child = proc;
    proc.stdout!.on('data', (d: Buffer) => log.write(d));
    proc.stderr!.on('data', (d: Buffer) => log.write(d));
    status.pid = proc.pid ?? null;
    status.started_at = Date.now();
    save();
    if (proc.pid) log.line(`started ${spec.component} ${status.version ?? ''} pid ${proc.pid}`);
    let exited = false;
    // A process that cannot be spawned at all (EACCES, ENOENT) emits 'error' and no 'exit': same handling.
    proc.on('error', (err) => {
      log.line(`cannot start ${argv[0]}: ${err.message}`);
      onExit(127, null);
    });
    proc.on('exit', (code, signal) => onExit(code, signal));
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      status.last_exit = signal ? `signal ${signal}` : `exit ${code}`;
      status.pid = null;
      log.line(`${spec.component} ${status.last_exit}`);
      if (stopping) return;
      if (code === 0 && !signal) {
        status.state = 'stopped';
        save();
        finish(0);
        return;
      }
      const now = Date.now();
      recentFailures.push(now);
      while (recentFailures.length && now - recentFailures[0]! > 60_000) recentFailures.shift();
      if (recentFailures.length > 5) {
        status.state = 'failed';
        save();
        log.line('failed 5 times within 60 s; giving up (like systemd StartLimitBurst)');
        finish(1);
        return;
      }
      status.restarts++;
      save();
      setTimeout(startChild, Math.min(10_000, 500 * 2 ** (recentFailures.length - 1)));
    };
  };

  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));
  const finish = (code: number) => {
    try {
      unlinkSync(supervisorPidFile(runDir));
    } catch {
      // already gone
    }
    resolveDone(code);
  };

  const stop = () => {
    if (stopping) return;
    stopping = true;
    const proc = child;
    const alive = proc && proc.exitCode === null && proc.signalCode === null;
    if (!alive || !proc?.pid) {
      status.state = 'stopped';
      save();
      finish(0);
      return;
    }
    log.line(`stopping ${spec.component} (SIGTERM, SIGKILL after ${spec.stop_timeout_s} s)`);
    const pgid = proc.pid;
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      // exited meanwhile
    }
    const killer = setTimeout(() => {
      log.line('still running after the stop deadline: SIGKILL');
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
    }, spec.stop_timeout_s * 1000);
    proc.once('exit', () => {
      clearTimeout(killer);
      status.state = 'stopped';
      save();
      finish(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    // Forwarded: components that reload on SIGHUP (blackbox_exporter) do so.
    const proc = child;
    if (proc?.pid) process.kill(proc.pid, 'SIGHUP');
  });
  startChild();
  return done;
}
