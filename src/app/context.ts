// Everything a use case needs from the outside world, in one object (the GitHub CLI habit): tests build one
// with a temporary home and captured output instead of a terminal.
import os from 'node:os';
import type { Store } from '../store/db.js';

export interface GlobalOptions {
  home: string;
  inventory?: string;
  json: boolean;
  yes: boolean;
  dryRun: boolean;
  forks: number;
  timeout?: number;
  debug: boolean;
  as?: string;
  knownHosts: string;
  acceptNewHostKeys: boolean;
  become: boolean;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  color: boolean;
}

export interface Context {
  globals: GlobalOptions;
  store: Store;
  io: Io;
  now(): Date;
  /** The operating-system identity running the command (the invoking user when run as root through sudo). */
  osUser: string;
  /** The command words, e.g. "host add", for the audit log and the failed-host sets. */
  command: string;
  /** The arguments as given, for the audit log. */
  argv: string[];
  /** Asks the person at the terminal; resolves false when nobody can be asked (the caller then needs --yes). */
  confirm(question: string): Promise<boolean>;
  /** Asks for a secret without echo; null when nobody can be asked. Never logged. */
  secret(question: string): Promise<string | null>;
}

/** Root acting through sudo is the person who typed sudo, not root. */
export function currentOsUser(env: NodeJS.ProcessEnv = process.env): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  if (uid === 0 && env.SUDO_USER && env.SUDO_USER !== 'root') return env.SUDO_USER;
  try {
    return os.userInfo().username;
  } catch {
    return env.USER ?? `uid${uid}`;
  }
}
