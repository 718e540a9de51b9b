// SSH credentials for one run: key files parsed once (a passphrase asked once per key, on a terminal only),
// the ssh-agent socket, and the sudo password (asked once per run, kept in memory, never logged or stored).
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { PromanagerError } from '../core/errors.js';

export interface Prompter {
  /** null when nobody can be asked (no terminal) */
  secret(question: string): Promise<string | null>;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

export class CredentialStore {
  readonly #keys = new Map<string, Promise<ParsedKey[]>>();
  #sudoPassword: Promise<string | null> | null = null;
  constructor(private readonly prompter: Prompter, readonly agentSocket: string | undefined = process.env.SSH_AUTH_SOCK || undefined) {}

  /** The keys to offer for a host: its configured key, or the user's default keys that exist. */
  async keysFor(keyFile: string | undefined): Promise<ParsedKey[]> {
    const files = keyFile ? [expandHome(keyFile)] : DEFAULT_KEYS.map((k) => path.join(os.homedir(), '.ssh', k));
    const parsed = await Promise.all(files.map((f) => this.#load(f, keyFile !== undefined)));
    return parsed.flat();
  }

  #load(file: string, required: boolean): Promise<ParsedKey[]> {
    let entry = this.#keys.get(file);
    if (!entry) {
      entry = this.#parse(file, required);
      this.#keys.set(file, entry);
    }
    return entry;
  }

  async #parse(file: string, required: boolean): Promise<ParsedKey[]> {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      if (!required) return [];
      throw new PromanagerError(`cannot read SSH key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { hint: 'fix the key path (--key, or ssh.key in the inventory)' });
    }
    let key = ssh2.utils.parseKey(data);
    if (key instanceof Error && /encrypted|passphrase/i.test(key.message)) {
      const passphrase = await this.prompter.secret(`passphrase for ${file}: `);
      if (passphrase === null) {
        throw new PromanagerError(`SSH key ${file} is protected by a passphrase and there is no terminal to ask it on`, { hint: 'load it into ssh-agent (ssh-add) and make sure SSH_AUTH_SOCK is set' });
      }
      key = ssh2.utils.parseKey(data, passphrase);
    }
    if (key instanceof Error) throw new PromanagerError(`cannot use SSH key ${file}: ${key.message}`);
    return Array.isArray(key) ? key : [key];
  }

  /** Asked at most once per run, and only when a host's sudo needs it. */
  sudoPassword(): Promise<string | null> {
    if (!this.#sudoPassword) this.#sudoPassword = this.prompter.secret('sudo password (asked once for this run): ');
    return this.#sudoPassword;
  }
}
