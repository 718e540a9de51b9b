// Running one job script on the host, the same way for `job run` and for cron: its own process group, a
// fixed environment (so a script behaves alike in both), the timeout ending the whole group, and anything the
// script left running in its group ended when it exits. Output beyond the cap is counted, not kept, except a
// tail, so megabytes of output cost neither memory nor bandwidth.
import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { killGroup, track } from './children.js';
import type { JobRunResult, JobSpec, OutputEvent } from './jobs-protocol.js';

/** The tail kept of output past the cap: where errors usually are. */
export const TAIL_BYTES = 64 * 1024;
const KILL_GRACE_MS = 2000;
/** After the script exits, how long its output pipes may stay open (a straggler holding them) before we end it. */
const DRAIN_MS = 1000;

export interface ScriptRun extends JobRunResult {
  /** the first max_output_bytes of output, as streamed */
  head: string;
}

/** How a kernel reads a shebang: the interpreter path and at most one argument (the rest of the line). */
export function interpreterArgv(interpreter: string): string[] {
  const trimmed = interpreter.trim();
  const space = trimmed.search(/\s/);
  return space < 0 ? [trimmed] : [trimmed.slice(0, space), trimmed.slice(space).trim()];
}

interface RunUser {
  uid: number;
  gid: number;
  name: string;
  home: string;
}

function currentUser(): RunUser {
  const info = os.userInfo();
  return { uid: info.uid, gid: info.gid, name: info.username, home: info.homedir };
}

function lookupUser(name: string): RunUser {
  let line: string;
  try {
    line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`run-as user '${name}' does not exist on this host`);
  }
  const [, , uid, gid, , home] = line.split(':');
  return { uid: Number(uid), gid: Number(gid), name, home: home || '/' };
}

/** The environment every run starts from; the job's own variables go on top. */
function jobEnv(spec: JobSpec, user: RunUser): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: user.home,
    USER: user.name,
    LOGNAME: user.name,
    SHELL: '/bin/sh',
    LANG: process.env.LANG || 'C.UTF-8',
    PROMANAGER_JOB: spec.job,
    PROMANAGER_JOB_VERSION: String(spec.version),
    ...spec.env,
  };
}

interface Prepared {
  argv: string[];
  options: SpawnOptions;
  cleanup(): void;
}

/**
 * As root for another user: the script is copied into a private directory that user owns (promanager's own
 * directory is root-only), and started through setpriv so the user's supplementary groups apply too.
 */
function prepare(spec: JobSpec, scriptPath: string): Prepared {
  const me = currentUser();
  const interpreter = interpreterArgv(spec.interpreter);
  if (!spec.run_as || spec.run_as === me.name) {
    return { argv: [...interpreter, scriptPath, ...spec.args], options: { cwd: existsSync(me.home) ? me.home : '/', env: jobEnv(spec, me) }, cleanup: () => undefined };
  }
  if (me.uid !== 0) throw new Error(`run-as '${spec.run_as}' needs root on the host, and the agent runs as '${me.name}' (use a root login or become)`);
  const user = lookupUser(spec.run_as);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'promanager-job-'));
  const copy = path.join(dir, 'script');
  copyFileSync(scriptPath, copy);
  chmodSync(copy, 0o500);
  chownSync(copy, user.uid, user.gid);
  chownSync(dir, user.uid, user.gid);
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const options: SpawnOptions = { cwd: existsSync(user.home) ? user.home : '/', env: jobEnv(spec, user) };
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  if (setpriv) {
    return { argv: [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...interpreter, copy, ...spec.args], options, cleanup };
  }
  // Without setpriv (util-linux) the primary group still applies, supplementary groups do not.
  return { argv: [...interpreter, copy, ...spec.args], options: { ...options, uid: user.uid, gid: user.gid }, cleanup };
}

/** Keeps the first `max` bytes (streamed as they come) and the last TAIL_BYTES of the rest. */
class OutputCapture {
  total = 0;
  head = '';
  #headBytes = 0;
  #tail: Buffer = Buffer.alloc(0);
  /** output that arrives after the run was settled (a straggler being killed) is not part of it */
  #closed = false;
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  constructor(private readonly max: number, private readonly onOutput?: (event: OutputEvent) => void) {}

  add(stream: OutputEvent['stream'], chunk: Buffer): void {
    if (this.#closed) return;
    this.total += chunk.length;
    const room = this.max - this.#headBytes;
    const kept = room > 0 ? chunk.subarray(0, room) : Buffer.alloc(0);
    if (kept.length > 0) {
      this.#headBytes += kept.length;
      const text = this.#decoders[stream].write(kept);
      if (text) this.#emit(stream, text);
    }
    if (kept.length < chunk.length) {
      const rest = chunk.subarray(kept.length);
      this.#tail = Buffer.concat([this.#tail, rest]).subarray(-TAIL_BYTES);
    }
  }

  note(stream: OutputEvent['stream'], text: string): void {
    this.add(stream, Buffer.from(text));
  }

  #emit(stream: OutputEvent['stream'], text: string): void {
    this.head += text;
    this.onOutput?.({ stream, text });
  }

  finish(): { truncated: boolean; tail: string } {
    this.#closed = true;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#decoders[stream].end();
      if (rest) this.#emit(stream, rest);
    }
    const truncated = this.total > this.max;
    return { truncated, tail: truncated ? this.#tail.toString('utf8') : '' };
  }
}

export function runJobScript(spec: JobSpec, scriptPath: string, onOutput?: (event: OutputEvent) => void): Promise<ScriptRun> {
  const started = new Date();
  const output = new OutputCapture(spec.max_output_bytes, onOutput);
  let prepared: Prepared;
  try {
    prepared = prepare(spec, scriptPath);
  } catch (err) {
    output.note('stderr', `promanager: ${(err as Error).message}\n`);
    return Promise.resolve(result(started, output, { code: 126, signal: null, timedOut: false }));
  }
  return new Promise((resolve) => {
    const [file, ...args] = prepared.argv as [string, ...string[]];
    // detached: a process group of its own, so the deadline and the cleanup reach every process it starts
    const child = spawn(file, args, { ...prepared.options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    child.stdout!.on('data', (chunk: Buffer) => output.add('stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => output.add('stderr', chunk));
    timers.push(setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      timers.push(setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS));
    }, spec.timeout_s * 1000));
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      timers.forEach(clearTimeout);
      // Whatever the script left behind in its group ends with it: nothing of a job outlives its run.
      killGroup(child, 'SIGKILL');
      prepared.cleanup();
      resolve(result(started, output, { code, signal, timedOut }));
    };
    child.on('error', (err) => {
      output.note('stderr', `promanager: cannot start ${file}: ${err.message}\n`);
      finish(127, null);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      timers.push(setTimeout(() => finish(code, signal), DRAIN_MS));
    });
    child.on('close', (code, signal) => finish(exit?.code ?? code, exit?.signal ?? signal));
  });
}

function result(started: Date, output: OutputCapture, exit: { code: number | null; signal: string | null; timedOut: boolean }): ScriptRun {
  const ended = new Date();
  const { truncated, tail } = output.finish();
  return {
    started_at: started.toISOString(),
    ended_at: ended.toISOString(),
    duration_ms: ended.getTime() - started.getTime(),
    exit_code: exit.code,
    signal: exit.signal,
    timed_out: exit.timedOut,
    output_bytes: output.total,
    truncated,
    tail,
    head: output.head,
  };
}
