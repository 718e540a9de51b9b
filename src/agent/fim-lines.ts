// Baselines on disk: gzip-compressed JSON lines, one entry a line in baseline order. Read and written as
// streams so neither the agent nor the controller ever holds a whole baseline in memory. Node built-ins only.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createGunzip, createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import type { FimEntry } from './fim-entry.js';

/** The lines of a gzip file, a decompressed chunk's worth at a time (few awaits for many lines). */
export async function* readGzipLineBatches(file: string): AsyncGenerator<string[]> {
  // Chunks stay small enough for V8's young generation (garbage there is collected cheaply and early), and
  // inflating runs up to 4 MiB ahead in the thread pool so a merge never waits for it.
  const input = createReadStream(file, { highWaterMark: 64 << 10 });
  const gunzip = createGunzip({ chunkSize: 64 << 10, readableHighWaterMark: 4 << 20 } as ZlibOptions);
  input.on('error', (err) => gunzip.destroy(err));
  let rest = '';
  try {
    for await (const chunk of input.pipe(gunzip)) {
      const lines = (rest + (chunk as Buffer).toString('utf8')).split('\n');
      rest = lines.pop()!;
      const full = lines.filter((l) => l !== '');
      if (full.length) yield full;
    }
    if (rest !== '') yield [rest];
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

export async function* readGzipLines(file: string): AsyncGenerator<string> {
  for await (const batch of readGzipLineBatches(file)) yield* batch;
}

export async function* readEntries(file: string): AsyncGenerator<FimEntry> {
  for await (const line of readGzipLines(file)) yield JSON.parse(line) as FimEntry;
}

/**
 * The path of an entry line without parsing the whole line (entries start with their path); null when the
 * path is escaped in JSON and only a real parse can tell it.
 */
export function linePath(line: string): string | null {
  if (!line.startsWith('{"path":"')) return null;
  const end = line.indexOf('"', 9);
  if (end < 0) return null;
  const raw = line.slice(9, end);
  return raw.includes('\\') ? null : raw;
}

/**
 * The entries of a baseline file with a look-ahead of one, as a merge of two sorted streams needs. The head is
 * kept as its line and parsed only when asked for: in a check where nothing changed most lines are compared
 * as text with the entry found now (see fim-scan.ts) and never parsed. `headPath` is synchronous; only when
 * `needsFill` (at the end of a decompressed chunk) must the caller await `fill()`.
 */
export class EntryCursor {
  #batches: AsyncGenerator<string[]>;
  #batch: string[] = [];
  #index = 0;
  #line: string | null = null;
  #path: string | null = null;
  #entry: FimEntry | null = null;
  #ended = false;

  constructor(file: string) {
    this.#batches = readGzipLineBatches(file);
  }

  get needsFill(): boolean {
    return this.#line === null && !this.#ended;
  }

  async fill(): Promise<void> {
    while (this.#line === null && !this.#ended) {
      if (this.#index < this.#batch.length) {
        this.#load();
        return;
      }
      const next = await this.#batches.next();
      if (next.done) this.#ended = true;
      else {
        this.#batch = next.value;
        this.#index = 0;
      }
    }
  }

  #load(): void {
    if (this.#index >= this.#batch.length) {
      this.#line = this.#path = this.#entry = null;
      return;
    }
    const line = this.#batch[this.#index++]!;
    this.#line = line;
    this.#entry = null;
    this.#path = linePath(line);
    if (this.#path === null) {
      this.#entry = JSON.parse(line) as FimEntry;
      this.#path = this.#entry.path;
    }
  }

  /** The path of the next entry; null at the end (call fill() first when needsFill). */
  get headPath(): string | null {
    return this.#path;
  }

  /** The next entry; null at the end. */
  get head(): FimEntry | null {
    if (this.#entry === null && this.#line !== null) this.#entry = JSON.parse(this.#line) as FimEntry;
    return this.#entry;
  }

  /** Consumes the head, as its line; loads the next one from the current chunk when it is there. */
  takeLine(): string | null {
    const line = this.#line;
    this.#load();
    return line;
  }

  /** Consumes the head, parsed. */
  take(): FimEntry | null {
    const head = this.head;
    this.#load();
    return head;
  }

  async close(): Promise<void> {
    await this.#batches.return(undefined);
  }
}

/**
 * Writes gzip-compressed lines to a temporary file beside `file`, hashing the compressed bytes as they go, and
 * passes each compressed chunk to `onChunk` (the agent streams them to the controller). `commit` renames the
 * file into place; `abort` removes it.
 */
export class GzipLineWriter {
  readonly temp: string;
  #fd: number;
  #gzip: Gzip;
  #hash = createHash('sha256');
  #bytes = 0;
  #lines = 0;
  #done: Promise<void>;

  constructor(readonly file: string, private readonly onChunk?: (chunk: Buffer) => void) {
    this.temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
    this.#fd = openSync(this.temp, 'w', 0o600);
    this.#gzip = createGzip({ level: 6 });
    this.#gzip.on('data', (chunk: Buffer) => {
      writeSync(this.#fd, chunk);
      this.#hash.update(chunk);
      this.#bytes += chunk.length;
      this.onChunk?.(chunk);
    });
    this.#done = new Promise((resolve, reject) => {
      this.#gzip.on('end', resolve);
      this.#gzip.on('error', reject);
    });
  }

  get lines(): number {
    return this.#lines;
  }

  /** Queues a line; false means the compressor is behind and the caller should `await drained()`. */
  writeLine(line: string): boolean {
    this.#lines++;
    return this.#gzip.write(`${line}\n`);
  }

  drained(): Promise<void> {
    return new Promise((resolve) => this.#gzip.once('drain', resolve));
  }

  async write(line: string): Promise<void> {
    if (!this.writeLine(line)) await this.drained();
  }

  /** Finishes the stream; the file stays at `temp` until commit. */
  async finish(): Promise<{ sha256: string; bytes: number; lines: number }> {
    this.#gzip.end();
    await this.#done;
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    return { sha256: this.#hash.digest('hex'), bytes: this.#bytes, lines: this.#lines };
  }

  commit(): void {
    renameSync(this.temp, this.file);
  }

  abort(): void {
    this.#gzip.destroy();
    try {
      closeSync(this.#fd);
    } catch {
      // closed by finish already
    }
    try {
      unlinkSync(this.temp);
    } catch {
      // never created or already gone
    }
  }
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
