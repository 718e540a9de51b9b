// A host as the rest of the program sees it: run a shell line, or talk to the agent. Two transports behind
// one interface: SSH (ssh2), and local (this machine, no SSH) for the embedded default.
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { AgentClient } from './agent-client.js';
import { agentBundle, controllerCanServe, controllerRuntime } from './assets.js';
import { bootstrapCommand, uploadCommand, wrapExec } from './bootstrap.js';
import type { CredentialStore } from './credentials.js';
import { RemoteError } from './errors.js';
import { shellQuote } from './quote.js';
import { channelOutcome, type SshConnection } from './ssh.js';
import type { HelloResult } from '../agent/protocol.js';

export interface HostTarget {
  id: number;
  name: string;
  ip: string;
  port: number;
  user: string;
  keyFile?: string;
  become: boolean;
  cluster_name: string;
  /** run on this machine without SSH */
  local: boolean;
}

export interface RunOptions {
  stdin?: string;
  onStdout?: (s: string) => void;
  onStderr?: (s: string) => void;
}

export interface RunOutcome {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface HostSession {
  readonly target: HostTarget;
  /** A shell line on the host (through sudo when the host is set to become). */
  run(command: string, opts?: RunOptions): Promise<RunOutcome>;
  /** The agent for this session, started (and uploaded if needed) on first use. */
  agent(): Promise<AgentClient>;
  /** Puts a local file on the host at `dest` unless it is already there with that sha256. */
  upload(localFile: string, dest: string, sha256: string, bytes: number): Promise<{ sent: boolean }>;
  /** Ends remote processes and the connection. Safe to call twice. */
  close(): void;
}

interface BecomeMode {
  prefix: string;
  /** the password line to put first on stdin, for sudo -S */
  stdinPrefix: string;
}

/** Raw process access the shared session logic needs from a transport. */
interface Transport {
  /** SSH: commands are wrapped to die when our stdin closes (EXEC_WRAPPER), so stdin stays open until they end. */
  keepStdinOpen: boolean;
  spawn(command: string): Promise<{ stdin: Writable; stdout: Readable; stderr: Readable; done: Promise<{ code: number | null; signal: string | null }>; kill(): void }>;
  close(): void;
}

export interface SessionDeps {
  credentials: CredentialStore;
  home: string;
}

class TransportSession implements HostSession {
  #become: Promise<BecomeMode> | null = null;
  #agent: Promise<AgentClient> | null = null;
  readonly #kills = new Set<() => void>();
  #closed = false;

  constructor(readonly target: HostTarget, private readonly transport: Transport, private readonly deps: SessionDeps, private readonly isRoot: () => boolean) {}

  async #becomeMode(): Promise<BecomeMode> {
    if (!this.target.become || this.isRoot()) return { prefix: '', stdinPrefix: '' };
    if (!this.#become) this.#become = this.#probeSudo();
    return this.#become;
  }

  async #probeSudo(): Promise<BecomeMode> {
    const quick = await this.#raw('sudo -n true');
    if (quick.code === 0) return { prefix: 'sudo -n -- ', stdinPrefix: '' };
    if (!/password is required|terminal is required/i.test(quick.stderr)) {
      throw new RemoteError(this.target.name, 'sudo', `sudo does not work for ${this.target.user} on ${this.target.name}: ${quick.stderr.trim() || `exit ${quick.code}`}`, 'check the sudoers entry for this user');
    }
    const password = await this.deps.credentials.sudoPassword();
    if (password === null) {
      throw new RemoteError(this.target.name, 'sudo', `sudo on ${this.target.name} needs a password for ${this.target.user} and there is no terminal to ask it on`, 'run on a terminal to be asked once, or give this user NOPASSWD sudo for promanager\'s commands');
    }
    const check = await this.#raw("sudo -S -p '' true", `${password}\n`);
    if (check.code !== 0) throw new RemoteError(this.target.name, 'sudo', `sudo on ${this.target.name} rejected the password for ${this.target.user}`);
    return { prefix: "sudo -S -p '' -- ", stdinPrefix: `${password}\n` };
  }

  /** A command without become handling. `holdStdin` keeps our end open until the command ends (see EXEC_WRAPPER). */
  async #raw(command: string, stdin = '', opts: RunOptions = {}, holdStdin = false): Promise<RunOutcome> {
    if (this.#closed) throw new RemoteError(this.target.name, 'interrupted', `session to ${this.target.name} was closed`);
    const proc = await this.transport.spawn(command);
    this.#kills.add(proc.kill);
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => {
      const s = d.toString('utf8');
      stdout += s;
      opts.onStdout?.(s);
    });
    proc.stderr.on('data', (d: Buffer) => {
      const s = d.toString('utf8');
      stderr += s;
      opts.onStderr?.(s);
    });
    proc.stdin.on('error', () => undefined);
    if (holdStdin) {
      if (stdin) proc.stdin.write(stdin);
    } else {
      proc.stdin.end(stdin);
    }
    try {
      const exit = await proc.done;
      return { ...exit, stdout, stderr };
    } finally {
      this.#kills.delete(proc.kill);
      proc.stdin.end();
    }
  }

  async run(command: string, opts: RunOptions = {}): Promise<RunOutcome> {
    const mode = await this.#becomeMode();
    // sudo stays outermost so it reads its password line from our stdin; the wrapper inside it holds the rest.
    const wrapped = this.transport.keepStdinOpen ? wrapExec(command) : mode.prefix ? `sh -c ${shellQuote(command)}` : command;
    return this.#raw(`${mode.prefix}${wrapped}`, mode.stdinPrefix + (opts.stdin ?? ''), opts, this.transport.keepStdinOpen);
  }

  agent(): Promise<AgentClient> {
    if (!this.#agent) this.#agent = this.#startAgent();
    return this.#agent;
  }

  async #startAgent(): Promise<AgentClient> {
    const mode = await this.#becomeMode();
    const bundle = await agentBundle();
    const runtimeName = `${process.version}-${process.arch}`;
    const command = `${mode.prefix}${bootstrapCommand({ agentSha256: bundle.sha256, agentBytes: bundle.bytes.length, runtimeName })}`;
    const proc = await this.transport.spawn(command);
    this.#kills.add(proc.kill);
    const client = new AgentClient(this.target.name, (line) => void proc.stdin.write(line));
    proc.stdin.on('error', () => undefined);
    if (mode.stdinPrefix) proc.stdin.write(mode.stdinPrefix);
    let started = false;
    let pending = '';
    let stderr = '';
    let bootstrapError = '';
    proc.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    const ready = new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        if (started) {
          client.feed(d.toString('utf8'));
          return;
        }
        pending += d.toString('utf8');
        let nl: number;
        while (!started && (nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line.startsWith('PM_AGENT_START')) {
            started = true;
            resolve();
            if (pending) client.feed(pending);
          } else if (line.startsWith('PM_NEED_AGENT')) {
            proc.stdin.write(bundle.bytes);
          } else if (line.startsWith('PM_NEED_RUNTIME')) {
            const [, os = '', arch = ''] = line.split(' ');
            void this.#sendRuntime(proc.stdin, os, arch).catch(reject);
          } else if (line.startsWith('PM_ERROR')) {
            bootstrapError = line.slice(9);
          }
        }
      });
      void proc.done.then(({ code }) => {
        const reason = new RemoteError(this.target.name, code === 91 ? 'runtime' : 'agent', code === 91
          ? `no Node.js >= 18 on ${this.target.name}, and this controller's own runtime does not fit it`
          : `the agent on ${this.target.name} ${started ? 'exited' : 'could not start'} (exit ${code})${bootstrapError ? `: ${bootstrapError}` : ''}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
          code === 91 ? 'install Node.js 18 or newer on the host (Debian: apt-get install nodejs), or run promanager from a controller of the same OS and architecture' : undefined);
        client.fail(reason);
        this.#kills.delete(proc.kill);
        reject(reason);
      });
    });
    await ready;
    const hello = await client.call<HelloResult>('hello');
    if (hello.agent_sha256 !== bundle.sha256) {
      throw new RemoteError(this.target.name, 'agent', `the agent on ${this.target.name} reports hash ${hello.agent_sha256}, expected ${bundle.sha256}`);
    }
    return client;
  }

  async upload(localFile: string, dest: string, sha256: string, bytes: number): Promise<{ sent: boolean }> {
    const mode = await this.#becomeMode();
    const proc = await this.transport.spawn(`${mode.prefix}${uploadCommand(dest, sha256, bytes)}`);
    this.#kills.add(proc.kill);
    proc.stdin.on('error', () => undefined);
    if (mode.stdinPrefix) proc.stdin.write(mode.stdinPrefix);
    let out = '';
    let stderr = '';
    let sent = false;
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (!sent && out.includes('PM_SEND\n')) {
        sent = true;
        const file = createReadStream(localFile);
        file.on('error', () => proc.kill());
        file.pipe(proc.stdin);
      } else if (!sent && out.includes('PM_HAVE')) {
        proc.stdin.end();
      }
    });
    const exit = await proc.done;
    this.#kills.delete(proc.kill);
    if (exit.code !== 0) {
      const why = /PM_ERROR (.*)/.exec(out)?.[1] ?? (stderr.trim() || `exit ${exit.code}`);
      throw new RemoteError(this.target.name, 'command', `upload of ${dest} to ${this.target.name} failed: ${why}`);
    }
    return { sent };
  }

  async #sendRuntime(stdin: Writable, os: string, arch: string): Promise<void> {
    if (!controllerCanServe(os, arch)) {
      stdin.write('0\n');
      return;
    }
    const rt = await controllerRuntime(this.deps.home);
    stdin.write(`${rt.gzBytes} ${rt.sha256}\n`);
    await new Promise<void>((resolve, reject) => {
      const file = createReadStream(rt.gzFile);
      file.on('error', reject);
      file.on('end', resolve);
      file.pipe(stdin, { end: false });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const kill of this.#kills) kill();
    this.transport.close();
  }
}

export function sshSession(target: HostTarget, connection: SshConnection, deps: SessionDeps): HostSession {
  const transport: Transport = {
    keepStdinOpen: true,
    async spawn(command) {
      const channel = await connection.open(command);
      const done = channelOutcome(channel);
      return {
        stdin: channel, stdout: channel, stderr: channel.stderr, done,
        kill: () => {
          try {
            channel.signal('KILL');
            channel.close();
          } catch {
            // gone already
          }
        },
      };
    },
    close: () => connection.close(),
  };
  return new TransportSession(target, transport, deps, () => target.user === 'root');
}

export function localSession(target: HostTarget, deps: SessionDeps): HostSession {
  const children = new Set<ChildProcess>();
  const transport: Transport = {
    keepStdinOpen: false,
    async spawn(command) {
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      children.add(child);
      const done = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        child.on('error', () => resolve({ code: 127, signal: null }));
        child.on('close', (code, signal) => {
          children.delete(child);
          resolve({ code, signal });
        });
      });
      const kill = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      };
      return { stdin: child.stdin!, stdout: child.stdout!, stderr: child.stderr!, done, kill };
    },
    close: () => {
      for (const child of children) {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGTERM');
        } catch {
          // gone
        }
      }
    },
  };
  return new TransportSession(target, transport, deps, () => (typeof process.getuid === 'function' ? process.getuid() === 0 : false));
}
