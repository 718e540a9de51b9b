// What FIM keeps on a host, under the agent's base directory (/var/lib/promanager as root,
// ~/.cache/promanager otherwise), one directory per policy:
//   fim/<policy>/baseline.ndjson.gz  a copy of the controller's baseline: hints for the default check mode (used
//                                    only when its sha256 is the one the controller holds) and the reference of
//                                    scheduled checks
//   fim/<policy>/policy.json         the policy and the baseline's sha256, for scheduled checks
//   fim/<policy>/journal.ndjson      appended by scheduled checks, read by the controller from an offset
//   fim/<policy>/drift.ndjson        what the last scheduled check found, so the journal records each change once
//   fim/agent.cjs                    a stable copy of the agent for cron (the uploaded one is named by its hash)
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { sha256OfFile } from './fim-lines.js';
import type { DriftEntry, FimPolicySpec } from './fim-entry.js';

export interface PolicyFile {
  spec: FimPolicySpec;
  baseline_sha256: string;
  /** node_exporter's textfile directory for this policy's metrics (null or absent: the default) */
  textfile_dir?: string | null;
}

/** A line of a host journal. Events carry the whole drift entry so the controller can accept them later. */
export type JournalLine =
  | ({ type: 'event'; at: string; baseline_sha256: string } & DriftEntry)
  | { type: 'run'; at: string; baseline_sha256: string; added: number; removed: number; modified: number; unknown: number; duration_ms: number; error: string | null };

export function hostFimRoot(): string {
  // PROMANAGER_AGENT_FIM_DIR exists for tests of the agent's modules run outside a bundle.
  return process.env.PROMANAGER_AGENT_FIM_DIR ?? path.join(path.dirname(path.dirname(__filename)), 'fim');
}

export function validPolicyName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name);
}

export function policyDir(name: string, root = hostFimRoot()): string {
  if (!validPolicyName(name)) throw new Error(`invalid policy name '${name}'`);
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export const files = (dir: string) => ({
  baseline: path.join(dir, 'baseline.ndjson.gz'),
  upload: path.join(dir, '.baseline.upload'),
  policy: path.join(dir, 'policy.json'),
  journal: path.join(dir, 'journal.ndjson'),
  drift: path.join(dir, 'drift.ndjson'),
  lock: path.join(dir, 'check.lock'),
  log: path.join(dir, 'cron.log'),
});

/** True when the host copy of the baseline is the one the controller holds. */
export async function hasBaseline(dir: string, sha256: string): Promise<boolean> {
  const file = files(dir).baseline;
  return existsSync(file) && (await sha256OfFile(file)) === sha256;
}

/** One piece of an upload of the controller's baseline; the last piece checks the whole and puts it in place. */
export async function putBaselineChunk(dir: string, offset: number, data: Buffer, finalSha256: string | null): Promise<{ complete: boolean }> {
  const f = files(dir);
  const fd = openSync(f.upload, offset === 0 ? 'w' : 'r+', 0o600);
  try {
    if (fstatSync(fd).size !== offset) throw new Error(`upload out of order: have ${fstatSync(fd).size} bytes, got a piece at ${offset}`);
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
  if (finalSha256 === null) return { complete: false };
  const got = await sha256OfFile(f.upload);
  if (got !== finalSha256) {
    unlinkSync(f.upload);
    throw new Error(`baseline upload arrived with sha256 ${got}, expected ${finalSha256}`);
  }
  renameSync(f.upload, f.baseline);
  return { complete: true };
}

const JOURNAL_READ_MAX = 4 << 20;

/**
 * Complete journal lines from `offset` on (a line being appended right now is left for next time). A journal
 * shorter than the offset was recreated: it is read from the start again (`reset`).
 */
export function readJournal(dir: string, offset: number): { lines: string[]; next_offset: number; size: number; reset: boolean } {
  const file = files(dir).journal;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], next_offset: 0, size: 0, reset: offset > 0 };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const reset = size < offset;
    const from = reset ? 0 : offset;
    const length = Math.min(size - from, JOURNAL_READ_MAX);
    const buffer = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buffer, got, length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    const end = buffer.lastIndexOf(10, got - 1) + 1;
    const text = buffer.subarray(0, end).toString('utf8');
    return { lines: text.split('\n').filter((l) => l !== ''), next_offset: from + end, size, reset };
  } finally {
    closeSync(fd);
  }
}

/** Appends whole lines in one write (O_APPEND), so a reader never sees half of one as complete. */
export function appendJournal(dir: string, lines: JournalLine[]): void {
  if (lines.length === 0) return;
  const fd = openSync(files(dir).journal, 'a', 0o600);
  try {
    writeSync(fd, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
}

/** A lock for one scheduled check at a time per policy; a lock left by a dead process is taken over. */
export function tryLock(dir: string): (() => void) | null {
  const file = files(dir).lock;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (lockHolderAlive(file)) return null;
      try {
        unlinkSync(file);
      } catch {
        // someone else took it over
      }
    }
  }
  return null;
}

function lockHolderAlive(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return statSync(file).mtimeMs > Date.now() - 60_000;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
