// One ssh2 connection per host for the whole command: verified host key, key/agent authentication,
// keepalive, a bounded number of channels (under sshd's MaxSessions), and an error handler on everything.
// ssh2 is CommonJS: take the classes from its default export.
import ssh2 from 'ssh2';
import type { Client, ClientChannel, ConnectConfig, ParsedKey } from 'ssh2';
import { fingerprintSha256, keyTypeOfBlob, preferredHostKeyAlgorithms, verifyHostKey, type HostKeyVerdict, type KnownHostEntry, type PinnedKey } from './knownhosts.js';
import { RemoteError } from './errors.js';
import { Limiter } from './limiter.js';

export interface SshTarget {
  name: string;
  host: string;
  port: number;
  user: string;
}

export interface HostKeyPolicy {
  knownHosts: KnownHostEntry[];
  knownHostsFile: string;
  pinned: PinnedKey[];
  /** asked for a key never seen before; true pins it */
  acceptUnknown(target: SshTarget, fingerprint: string, keyType: string): Promise<boolean>;
  /** called with an accepted new key so the caller can pin it in the state */
  onAccepted(target: SshTarget, keyBlob: Buffer): void;
}

export interface SshAuth {
  keys: ParsedKey[];
  agentSocket?: string;
}

export interface ChannelOutcome {
  code: number | null;
  signal: string | null;
}

/** sshd allows 10 sessions per connection by default; stay below it. */
const CHANNELS_PER_CONNECTION = 8;

const outcomes = new WeakMap<ClientChannel, Promise<ChannelOutcome>>();

/**
 * Starts listening for a channel's exit status and close the moment it exists, inside ssh2's exec callback. A
 * command that ends at once (`true` on a quick host) has its exit-status, EOF and close parsed from the same read
 * as the channel's opening, before code awaiting the channel could listen: the status would be lost, and with it
 * the close, leaving the caller waiting. Output is not lost: the stream buffers it until read.
 */
function watch(channel: ClientChannel): ClientChannel {
  outcomes.set(channel, new Promise((resolve) => {
    let exit: ChannelOutcome = { code: null, signal: null };
    channel.on('exit', (code: number | null, signal?: string) => {
      exit = { code: code ?? null, signal: signal ?? null };
    });
    // A turn later: output that arrived with the close is then delivered to listeners attached meanwhile.
    channel.on('close', () => setImmediate(() => resolve(exit)));
  }));
  return channel;
}

/** How a channel opened by an SshConnection ended: its exit status (or signal), once it has closed. */
export function channelOutcome(channel: ClientChannel): Promise<ChannelOutcome> {
  const outcome = outcomes.get(channel);
  if (!outcome) throw new Error('channelOutcome: not a channel opened by SshConnection');
  return outcome;
}

export class SshConnection {
  readonly #channels = new Limiter(CHANNELS_PER_CONNECTION);
  readonly #open = new Set<ClientChannel>();
  #closed = false;
  constructor(readonly target: SshTarget, private readonly client: Client, readonly hostKeyFingerprint: string) {
    client.on('close', () => {
      this.#closed = true;
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Opens an exec channel and hands it to `use`; the channel slot is held until the channel closes. */
  async withChannel<T>(command: string, use: (channel: ClientChannel) => Promise<T>): Promise<T> {
    return this.#channels.run(async () => {
      const channel = await new Promise<ClientChannel>((resolve, reject) => {
        if (this.#closed) {
          reject(new RemoteError(this.target.name, 'unreachable', `connection to ${this.target.name} is closed`));
          return;
        }
        this.client.exec(command, (err, stream) => {
          if (err) reject(new RemoteError(this.target.name, 'command', `could not open a channel on ${this.target.name}: ${err.message}`));
          else resolve(watch(stream));
        });
      });
      this.#open.add(channel);
      channel.on('error', () => undefined); // surfaced through close/exit; an unhandled one would crash the controller
      channel.stderr.on('error', () => undefined);
      try {
        return await use(channel);
      } finally {
        this.#open.delete(channel);
      }
    });
  }

  /**
   * Opens a channel for a long-lived process (the agent). The channel slot is released when it closes.
   */
  async open(command: string): Promise<ClientChannel> {
    await this.#channels.acquire();
    try {
      const channel = await new Promise<ClientChannel>((resolve, reject) => {
        if (this.#closed) {
          reject(new RemoteError(this.target.name, 'unreachable', `connection to ${this.target.name} is closed`));
          return;
        }
        this.client.exec(command, (err, stream) => (err ? reject(new RemoteError(this.target.name, 'agent', `could not open a channel on ${this.target.name}: ${err.message}`)) : resolve(watch(stream))));
      });
      this.#open.add(channel);
      channel.on('error', () => undefined);
      channel.stderr.on('error', () => undefined);
      void channelOutcome(channel).then(() => {
        this.#open.delete(channel);
        this.#channels.release();
      });
      return channel;
    } catch (err) {
      this.#channels.release();
      throw err;
    }
  }

  /** Runs a command to completion, collecting output. */
  async run(command: string, opts: { stdin?: string | Buffer; onStdout?: (s: string) => void; onStderr?: (s: string) => void } = {}): Promise<ChannelOutcome & { stdout: string; stderr: string }> {
    return this.withChannel(command, (channel) => new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      channel.on('data', (d: Buffer) => {
        const s = d.toString('utf8');
        stdout += s;
        opts.onStdout?.(s);
      });
      channel.stderr.on('data', (d: Buffer) => {
        const s = d.toString('utf8');
        stderr += s;
        opts.onStderr?.(s);
      });
      void channelOutcome(channel).then((exit) => resolve({ ...exit, stdout, stderr }));
      channel.end(opts.stdin ?? '');
    }));
  }

  /** Ends every remote process we started (signal, then close) and the connection. */
  close(): void {
    for (const channel of this.#open) {
      try {
        channel.signal('TERM');
        channel.close();
      } catch {
        // already closing
      }
    }
    this.client.end();
    setTimeout(() => this.client.destroy(), 1000).unref();
  }
}

function describeVerdict(target: SshTarget, verdict: HostKeyVerdict, knownHostsFile: string): RemoteError {
  const where = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
  if (verdict.kind === 'changed') {
    const expected = verdict.expected.map((e) => `${e.fingerprint} (${e.source === 'pinned' ? 'pinned in promanager state' : `${e.file}:${e.line}`})`).join(', ');
    return new RemoteError(target.name, 'hostkey-changed',
      `HOST KEY CHANGED for ${target.name} (${where}): it presented ${verdict.keyType} ${verdict.fingerprint}, expected ${expected}`,
      'this may be an attack (man in the middle) or a reinstalled host; verify the new key out of band, then remove the old entry (ssh-keygen -R, or the pinned key) before connecting again');
  }
  if (verdict.kind === 'revoked') {
    return new RemoteError(target.name, 'hostkey-revoked', `host key ${verdict.fingerprint} of ${target.name} is marked @revoked in ${knownHostsFile}:${verdict.line}`);
  }
  if (verdict.kind === 'unknown') {
    return new RemoteError(target.name, 'hostkey-unknown',
      `unknown host key for ${target.name} (${where}): ${verdict.keyType} ${verdict.fingerprint}, not in ${knownHostsFile} nor pinned`,
      'verify the fingerprint, then re-run with --accept-new-host-keys (or add it to known_hosts: ssh-keyscan ... >> known_hosts)');
  }
  return new RemoteError(target.name, 'handshake', `host key check failed for ${target.name}`);
}

function classifyConnectError(target: SshTarget, err: Error & { level?: string; code?: string }): RemoteError {
  const msg = err.message;
  if (err.level === 'client-authentication' || /All configured authentication methods failed/i.test(msg)) {
    return new RemoteError(target.name, 'auth', `authentication failed for ${target.user}@${target.name}: no key was accepted`,
      'check the user and key (--user/--key, inventory ssh settings) and that ssh-agent holds the key if you use one');
  }
  if (err.code === 'ECONNREFUSED') return new RemoteError(target.name, 'unreachable', `${target.name} (${target.host}:${target.port}) refused the connection: is sshd running?`);
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new RemoteError(target.name, 'unreachable', `${target.name} (${target.host}) is unreachable: ${err.code}`);
  }
  if (err.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(msg)) {
    return new RemoteError(target.name, 'timeout', `${target.name} (${target.host}:${target.port}) accepted the connection but never completed the SSH handshake`, 'is something other than sshd listening there, or is the host overloaded?');
  }
  // Reset or closed before the handshake finished: typically sshd's MaxStartups dropping excess connections.
  return new RemoteError(target.name, 'handshake', `SSH handshake with ${target.name} failed: ${msg}`);
}

export function connectSsh(target: SshTarget, auth: SshAuth, policy: HostKeyPolicy, opts: { readyTimeoutMs: number; keepaliveMs: number }): Promise<SshConnection> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let verdictError: RemoteError | null = null;
    let fingerprint = '';
    let settled = false;
    const fail = (err: RemoteError) => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(err);
    };
    const methods: Array<Record<string, unknown>> = [];
    if (auth.agentSocket) methods.push({ type: 'agent', username: target.user, agent: auth.agentSocket });
    for (const key of auth.keys) methods.push({ type: 'publickey', username: target.user, key });
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: opts.readyTimeoutMs,
      keepaliveInterval: opts.keepaliveMs,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(target.host, target.port, policy.knownHosts, policy.pinned) as never },
      authHandler: (_left: unknown, _partial: unknown, next: (m: unknown) => void) => next(methods.shift() ?? false),
      hostVerifier: (keyBlob: Buffer, verify: (ok: boolean) => void) => {
        fingerprint = fingerprintSha256(keyBlob);
        const verdict = verifyHostKey({ host: target.host, port: target.port, keyBlob, knownHosts: policy.knownHosts, knownHostsFile: policy.knownHostsFile, pinned: policy.pinned });
        if (verdict.kind === 'match') return verify(true);
        if (verdict.kind === 'unknown') {
          policy.acceptUnknown(target, verdict.fingerprint, keyTypeOfBlob(keyBlob)).then((ok) => {
            if (ok) policy.onAccepted(target, keyBlob);
            else verdictError = describeVerdict(target, verdict, policy.knownHostsFile);
            verify(ok);
          }, () => verify(false));
          return;
        }
        verdictError = describeVerdict(target, verdict, policy.knownHostsFile);
        verify(false);
      },
    } as ConnectConfig;
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      resolve(new SshConnection(target, client, fingerprint));
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => fail(verdictError ?? classifyConnectError(target, err)));
    client.on('close', () => fail(verdictError ?? new RemoteError(target.name, 'handshake', `connection to ${target.name} closed during the handshake`)));
    try {
      client.connect(config);
    } catch (err) {
      fail(classifyConnectError(target, err as Error));
    }
  });
}
