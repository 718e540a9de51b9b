// Baselines on disk: gzip-compressed JSON lines, one entry a line in baseline order. Read and written as
// streams so neither the agent nor the controller ever holds a whole baseline in memory. Node built-ins only.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import type { FimEntry } from './fim-entry.js';

/** The lines of a gzip file, one at a time. */
export async function* readGzipLines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file);
  const gunzip = createGunzip();
  input.on('error', (err) => gunzip.destroy(err));
  const lines = createInterface({ input: input.pipe(gunzip), crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line !== '') yield line;
  } finally {
    lines.close();
    input.destroy();
  }
}

export async function* readEntries(file: string): AsyncGenerator<FimEntry> {
  for await (const line of readGzipLines(file)) yield JSON.parse(line) as FimEntry;
}

/** A look-ahead of one over an async iterator: what a merge of two sorted streams needs. */
export class Cursor<T> {
  #head: T | null = null;
  #loaded = false;
  constructor(private readonly source: AsyncIterator<T>) {}

  async peek(): Promise<T | null> {
    if (!this.#loaded) {
      const r = await this.source.next();
      this.#head = r.done ? null : r.value;
      this.#loaded = true;
    }
    return this.#head;
  }

  async take(): Promise<T | null> {
    const head = await this.peek();
    this.#loaded = false;
    return head;
  }

  async close(): Promise<void> {
    await this.source.return?.(undefined);
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

  async write(line: string): Promise<void> {
    this.#lines++;
    if (!this.#gzip.write(`${line}\n`)) await new Promise((resolve) => this.#gzip.once('drain', resolve));
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
