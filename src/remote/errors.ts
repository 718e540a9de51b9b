// A remote failure is a value that says which host, what kind, and what to do (the zx habit), so the
// fan-out can report per host and decide about retries without parsing messages.
import { PromanagerError } from '../core/errors.js';

export type RemoteErrorKind =
  | 'unreachable' // TCP refused, no route, DNS
  | 'timeout' // the per-host deadline passed
  | 'handshake' // the SSH handshake failed or the server dropped us (may be MaxStartups: retried)
  | 'hostkey-unknown'
  | 'hostkey-changed'
  | 'hostkey-revoked'
  | 'auth' // no key was accepted
  | 'sudo' // become failed
  | 'runtime' // no usable Node.js on the host and none could be uploaded
  | 'agent' // the agent failed or sent something unreadable
  | 'command' // a command ran and failed
  | 'interrupted' // Ctrl-C
  | 'skipped'; // not attempted: a rollout stopped after a failed batch

export class RemoteError extends PromanagerError {
  constructor(readonly host: string, readonly kind: RemoteErrorKind, message: string, hint?: string, readonly detail?: { command?: string; code?: number | null; signal?: string | null; stderr?: string }) {
    super(message, { hint });
  }
  get transient(): boolean {
    return this.kind === 'handshake';
  }
}
