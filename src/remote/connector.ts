// Opens a HostSession for a target: the local connector, or SSH with a bounded number of handshakes in flight
// (key exchange is the CPU-heavy part) and jittered retries for transient failures: a reset before the handshake
// completes, which is what a server past its MaxStartups (busy with other clients) does. Authentication and
// host-key failures are never retried.
import { readFile } from 'node:fs/promises';
import { parseKnownHosts, type KnownHostEntry, type PinnedKey } from './knownhosts.js';
import { connectSsh, type HostKeyPolicy, type SshTarget } from './ssh.js';
import { RemoteError } from './errors.js';
import { Limiter } from './limiter.js';
import { localSession, sshSession, type HostSession, type HostTarget, type SessionDeps } from './session.js';
import type { CredentialStore } from './credentials.js';
import type { Connect } from './fanout.js';

export interface ConnectorOptions {
  credentials: CredentialStore;
  home: string;
  knownHostsFile: string;
  pinned: PinnedKey[];
  acceptUnknown(target: SshTarget, fingerprint: string, keyType: string): Promise<boolean>;
  onAccepted(target: SshTarget, keyBlob: Buffer): void;
  handshakes: number;
  readyTimeoutMs: number;
  retries?: number;
}

export async function loadKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'), file).entries;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function createConnector(opts: ConnectorOptions): Promise<Connect> {
  const knownHosts = await loadKnownHosts(opts.knownHostsFile);
  const handshakes = new Limiter(Math.max(1, opts.handshakes));
  const deps: SessionDeps = { credentials: opts.credentials, home: opts.home };
  const policy: HostKeyPolicy = {
    knownHosts,
    knownHostsFile: opts.knownHostsFile,
    pinned: opts.pinned,
    acceptUnknown: opts.acceptUnknown,
    onAccepted: opts.onAccepted,
  };
  return async (target: HostTarget, signal: AbortSignal): Promise<HostSession> => {
    if (target.local) return localSession(target, deps);
    const keys = await opts.credentials.keysFor(target.keyFile);
    const sshTarget: SshTarget = { name: target.name, host: target.ip, port: target.port, user: target.user };
    const attempts = 1 + (opts.retries ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        const connection = await handshakes.run(() => connectSsh(sshTarget, { keys, agentSocket: opts.credentials.agentSocket }, policy, { readyTimeoutMs: opts.readyTimeoutMs, keepaliveMs: 15_000 }));
        if (signal.aborted) {
          connection.close();
          throw signal.reason as Error;
        }
        return sshSession(target, connection, deps);
      } catch (err) {
        if (!(err instanceof RemoteError) || !err.transient || attempt >= attempts || signal.aborted) throw err;
        await sleep(Math.random() * 150 * 2 ** attempt + 50);
      }
    }
  };
}
