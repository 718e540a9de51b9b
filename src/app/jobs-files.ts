// The bulky side of jobs, in files beside the database: script bodies by sha256 under $PROMANAGER_HOME/scripts/
// (checked against their name whenever read, so a damaged file is never sent to a host) and run output under
// $PROMANAGER_HOME/job-output/<job>/ (one file per host per run, referenced from the run record).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PromanagerError } from '../core/errors.js';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const scriptsDir = (home: string) => path.join(home, 'scripts');
export const outputDir = (home: string) => path.join(home, 'job-output');

/** Stores a script body under its hash (idempotent: the same content is the same file). */
export async function storeScript(home: string, content: Buffer): Promise<string> {
  const sha = sha256Hex(content);
  const file = path.join(scriptsDir(home), sha);
  await mkdir(scriptsDir(home), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode: 0o600 });
  await rename(temp, file);
  return sha;
}

export async function readScript(home: string, sha: string, jobName: string): Promise<Buffer> {
  const file = path.join(scriptsDir(home), sha);
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch {
    throw new PromanagerError(`the script of job '${jobName}' (${file}) is missing`, { hint: `add it again: promanager job add ${jobName} --script <file>` });
  }
  if (sha256Hex(content) !== sha) {
    throw new PromanagerError(`the script of job '${jobName}' (${file}) does not match its sha256: it was changed on disk`, { hint: `add it again: promanager job add ${jobName} --script <file>` });
  }
  return content;
}

/** Removes script bodies no job version refers to any more. */
export async function pruneScripts(home: string, referenced: Set<string>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(scriptsDir(home));
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => /^[0-9a-f]{64}$/.test(n) && !referenced.has(n)).map((n) => rm(path.join(scriptsDir(home), n), { force: true })));
}

/** One host's output of one run, written as it streams in. */
export class OutputFile {
  readonly name: string;
  readonly #stream: WriteStream;
  #failed: Error | null = null;

  private constructor(readonly home: string, name: string, stream: WriteStream) {
    this.name = name;
    this.#stream = stream;
    stream.on('error', (err) => {
      this.#failed = err;
    });
  }

  static async create(home: string, job: string, host: string, at: Date): Promise<OutputFile> {
    const stamp = at.toISOString().replace(/[:.]/g, '').replace(/-/g, '');
    const safeHost = host.replace(/[^A-Za-z0-9._-]/g, '_');
    const name = path.join(job, `${safeHost}-${stamp}-${randomBytes(3).toString('hex')}.log`);
    await mkdir(path.join(outputDir(home), job), { recursive: true, mode: 0o700 });
    return new OutputFile(home, name, createWriteStream(path.join(outputDir(home), name), { mode: 0o600 }));
  }

  append(text: string): void {
    if (!this.#failed) this.#stream.write(text);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#stream.end(resolve));
    if (this.#failed) throw new PromanagerError(`cannot write job output ${this.name}: ${this.#failed.message}`);
  }
}

export async function writeOutput(home: string, job: string, host: string, at: Date, text: string): Promise<string> {
  const file = await OutputFile.create(home, job, host, at);
  file.append(text);
  await file.close();
  return file.name;
}

export function outputPath(home: string, name: string): string {
  return path.join(outputDir(home), name);
}

export async function removeOutputs(home: string, names: Array<string | null>): Promise<void> {
  await Promise.all(names.filter((n): n is string => n !== null).map((n) => rm(outputPath(home, n), { force: true })));
}
