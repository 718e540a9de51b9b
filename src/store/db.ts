// The state database: one lowdb JSON file, validated on load, written atomically (steno writes a temporary
// file and renames it), and changed only under a cross-process lock so concurrent commands never lose updates.
import { mkdir, access, constants } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { TextFile } from 'lowdb/node';
import lockfile from 'proper-lockfile';
import { FileProblemError, PromanagerError, type FileProblem } from '../core/errors.js';
import { emptyState, stateSchema, SCHEMA_VERSION, type State } from './schema.js';
import { migrate } from './migrations.js';

/** Validating lowdb adapter: text in, checked State out, so a bad file never reaches a command. */
class StateFile {
  readonly #text: TextFile;
  constructor(readonly file: string) {
    this.#text = new TextFile(file);
  }
  async read(): Promise<State | null> {
    const text = await this.#text.read();
    if (text === null) return null;
    return parseState(text, this.file);
  }
  async write(state: State | null): Promise<void> {
    if (state === null) return;
    // One line: a 1,000-host state writes and parses in a fraction of the indented time.
    await this.#text.write(JSON.stringify(state) + '\n');
  }
}

export function parseState(text: string, file: string): State {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FileProblemError(`state database ${file} is not valid JSON (truncated or hand-broken?)`, [
      { file, ...jsonErrorPosition(text, err), message: (err as Error).message },
    ], 'restore it from a backup or fix the place shown; promanager will not overwrite it until it loads');
  }
  const migrated = migrate(raw, file);
  const parsed = stateSchema.safeParse(migrated);
  if (!parsed.success) {
    const problems: FileProblem[] = parsed.error.issues.slice(0, 20).map((issue) => ({
      file,
      path: issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '') || '(root)',
      message: issue.message,
    }));
    throw new FileProblemError(`state database ${file} does not match the expected schema`, problems,
      'fix the field shown or restore a backup; promanager will not overwrite it until it loads');
  }
  return parsed.data;
}

function jsonErrorPosition(text: string, err: unknown): { line?: number; col?: number } {
  const match = /position (\d+)/.exec(String((err as Error).message));
  const offset = match ? Number(match[1]) : text.length;
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: (before[before.length - 1]?.length ?? 0) + 1 };
}

export class Store {
  readonly file: string;
  readonly lockPath: string;
  constructor(readonly home: string, private readonly now: () => Date = () => new Date()) {
    this.file = path.join(home, 'db.json');
    this.lockPath = path.join(home, 'db.lock');
  }

  /** A consistent snapshot for reading; no lock needed because writes replace the file atomically. */
  async read(): Promise<State> {
    const db = new Low<State | null>(new StateFile(this.file), null);
    await db.read();
    return db.data ?? emptyState(this.now().toISOString());
  }

  async exists(): Promise<boolean> {
    try {
      await access(this.file, constants.F_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes a validated state atomically. Call only while holding the lock (see withLock / transact). */
  async write(state: State): Promise<void> {
    const db = new Low<State | null>(new StateFile(this.file), state);
    await db.write();
  }

  /** Serialises every change to the state directory (database, audit log, bulky files) across processes. */
  async withLock<T>(work: () => Promise<T>): Promise<T> {
    await this.ensureHome();
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.home, {
        lockfilePath: this.lockPath,
        realpath: false,
        stale: 15_000,
        update: 3_000,
        retries: { retries: 400, factor: 1.15, minTimeout: 5, maxTimeout: 120, randomize: true },
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOCKED') {
        throw new PromanagerError(`state directory ${this.home} is locked by another promanager command`, {
          hint: `wait for it to finish; if none is running, remove ${this.lockPath}`,
        });
      }
      throw homeError(this.home, err);
    }
    try {
      return await work();
    } finally {
      await release().catch(() => undefined);
    }
  }

  async ensureHome(): Promise<void> {
    try {
      await mkdir(this.home, { recursive: true, mode: 0o700 });
      await access(this.home, constants.W_OK);
    } catch (err) {
      throw homeError(this.home, err);
    }
  }
}

function homeError(home: string, err: unknown): PromanagerError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new PromanagerError(`cannot write to state directory ${home} (${code}: ${(err as Error).message})`, {
    hint: 'choose a writable directory with --home or PROMANAGER_HOME, or fix its permissions',
    cause: err,
  });
}

export { SCHEMA_VERSION };
