// FIM's bulky files on the controller, beside the database: $PROMANAGER_HOME/fim/{baselines,drift,events,tmp}.
// Baselines arrive as the compressed bytes the agent streams and are stored as they are; every file is named
// by the row it belongs to and, when immutable, by its hash, so a row always points at exactly one content.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PromanagerError } from '../core/errors.js';
import { comparePaths, type FimEntry } from '../agent/fim-entry.js';
import { GzipLineWriter, readEntries, readGzipLines, sha256OfFile } from '../agent/fim-lines.js';
import type { AgentClient } from '../remote/agent-client.js';
import type { FimBaseline } from '../store/schema.js';

export type FimArea = 'baselines' | 'drift' | 'events' | 'tmp' | 'archive';

export function fimPath(home: string, area: FimArea, name = ''): string {
  const dir = path.join(home, 'fim', area);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return name ? path.join(dir, name) : dir;
}

export function tempPath(home: string, what: string): string {
  return fimPath(home, 'tmp', `${what}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

export function removeQuietly(file: string | null): void {
  if (!file) return;
  try {
    rmSync(file, { force: true });
  } catch {
    // best effort: a leftover temporary file is harmless
  }
}

export const baselineName = (hostId: number, policyId: number, sha256: string) => `h${hostId}-p${policyId}-${sha256.slice(0, 16)}.ndjson.gz`;

/** The baseline file of a row, checked against the hash the database holds. */
export async function trustedBaseline(home: string, row: FimBaseline): Promise<string> {
  const file = fimPath(home, 'baselines', row.file);
  if (!existsSync(file)) throw new PromanagerError(`the baseline file ${file} is missing`, { hint: 'take a new baseline: promanager fim baseline' });
  const actual = await sha256OfFile(file);
  if (actual !== row.sha256) {
    throw new PromanagerError(`the baseline file ${file} has sha256 ${actual}, but the database recorded ${row.sha256}: it was altered outside promanager`, { hint: 'inspect it; take a new baseline with promanager fim baseline once you trust the host' });
  }
  return file;
}

/** Collects the compressed baseline the agent streams (base64 events) into a temporary file, hashing as it goes. */
export class BaselineReceiver {
  readonly file: string;
  #fd: number;
  #hash = createHash('sha256');
  #bytes = 0;

  constructor(home: string) {
    this.file = tempPath(home, 'baseline');
    this.#fd = openSync(this.file, 'w', 0o600);
  }

  write(base64: string): void {
    const data = Buffer.from(base64, 'base64');
    writeSync(this.#fd, data);
    this.#hash.update(data);
    this.#bytes += data.length;
  }

  finish(): { sha256: string; bytes: number } {
    closeSync(this.#fd);
    return { sha256: this.#hash.digest('hex'), bytes: this.#bytes };
  }

  discard(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
    removeQuietly(this.file);
  }
}

/**
 * Reads a received baseline through once: every line an entry, in path order, and as many as the agent said.
 * What the controller keeps must be usable later; a host that sends garbage fails here, not at the next check.
 */
export async function validateBaseline(file: string, expectedEntries: number): Promise<void> {
  let previous: string | null = null;
  let n = 0;
  for await (const line of readGzipLines(file)) {
    const entry = JSON.parse(line) as FimEntry;
    if (typeof entry.path !== 'string' || typeof entry.type !== 'string') throw new Error(`baseline line ${n + 1} is not an entry`);
    if (previous !== null && comparePaths(previous, entry.path) >= 0) throw new Error(`baseline is out of order at ${entry.path}`);
    previous = entry.path;
    n++;
  }
  if (n !== expectedEntries) throw new Error(`baseline has ${n} entries, the agent reported ${expectedEntries}`);
}

/** Moves a checked temporary file to its place in an area; returns the name. */
export function install(home: string, temp: string, area: FimArea, name: string): string {
  renameSync(temp, fimPath(home, area, name));
  return name;
}

const UPLOAD_CHUNK = 64 << 10;

/** Puts the controller's baseline on the host as its copy, in pieces (nothing is held whole on either side). */
export async function uploadBaseline(agent: AgentClient, policy: string, file: string, sha256: string): Promise<void> {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(UPLOAD_CHUNK);
    let offset = 0;
    while (true) {
      const n = readChunk(fd, buffer, offset);
      const last = n < UPLOAD_CHUNK;
      await agent.call('fim_put_baseline', { policy, offset, data: buffer.subarray(0, n).toString('base64'), sha256: last ? sha256 : null });
      offset += n;
      if (last) return;
    }
  } finally {
    closeSync(fd);
  }
}

function readChunk(fd: number, buffer: Buffer, position: number): number {
  // readSync may return less than asked before the end; a short chunk must mean the end of the file.
  let got = 0;
  while (got < buffer.length) {
    const n = readSync(fd, buffer, got, buffer.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * A new baseline: the old one with `changes` applied (an entry replaces or adds its path, null removes it),
 * merged in one streaming pass. Returns the temporary file, its hash and size, and the number of entries.
 */
export async function rewriteBaseline(home: string, oldFile: string, changes: Map<string, FimEntry | null>): Promise<{ temp: string; sha256: string; bytes: number; entries: number }> {
  const temp = tempPath(home, 'accept');
  const writer = new GzipLineWriter(temp);
  const pending = [...changes.entries()].sort(([a], [b]) => comparePaths(a, b));
  let next = 0;
  const writeChange = async ([, entry]: [string, FimEntry | null]) => {
    if (entry) await writer.write(JSON.stringify(entry));
  };
  try {
    for await (const entry of readEntries(oldFile)) {
      while (next < pending.length && comparePaths(pending[next]![0], entry.path) < 0) await writeChange(pending[next++]!);
      if (next < pending.length && pending[next]![0] === entry.path) {
        await writeChange(pending[next++]!);
        continue;
      }
      await writer.write(JSON.stringify(entry));
    }
    while (next < pending.length) await writeChange(pending[next++]!);
    const done = await writer.finish();
    writer.commit();
    return { temp: writer.file, sha256: done.sha256, bytes: done.bytes, entries: done.lines };
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** Small files read whole (drift lists, received journal lines): their size follows the changes, not the tree. */
export function readLines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

export function appendLines(file: string, lines: string[]): void {
  if (lines.length === 0) return;
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, `${lines.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
}

