// Examining paths for a scan: lstat semantics unless following links, the result turned into an entry. A check
// of an unchanged tree is little more than this, one lstat per path, on the scan's own thread: listing in
// worker threads was measured slower on two cores (starting them and passing results across cost more than
// the lstat calls they take over).
import { lstatSync, readdirSync, readlinkSync, statSync, type BigIntStats } from 'node:fs';
import { entryFromStats, type FimAttribute, type FimEntry } from './fim-entry.js';

export interface Examined {
  path: string;
  /** null: the path could not be examined (see error) */
  entry: FimEntry | null;
  /** a directory (what a link points at, when links are followed) */
  dir: boolean;
  /** dev:ino, to notice a followed link leading back to one of its ancestors */
  id: string;
  size: number;
  ino: string;
  /** could not be examined: why; ENOENT: the code only (the caller decides what vanishing means there) */
  error?: string;
}

export type Listing = { items: Examined[] } | { error: string } | { overflow: string };

export interface ListSpec {
  wanted: ReadonlySet<FimAttribute>;
  follow: boolean;
}

export function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}` : String(err);
}

export function examine(file: string, spec: ListSpec): Examined {
  let stats: BigIntStats;
  let target: string | null = null;
  try {
    stats = lstatSync(file, { bigint: true });
    if (stats.isSymbolicLink()) {
      target = readlinkSync(file);
      if (spec.follow) {
        try {
          stats = statSync(file, { bigint: true });
        } catch {
          // a dangling link is recorded as the link itself
        }
      }
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { path: file, entry: null, dir: false, id: '', size: 0, ino: '', error: code === 'ENOENT' ? 'ENOENT' : describeError(err) };
  }
  return {
    path: file,
    entry: entryFromStats(file, stats, spec.wanted, target),
    dir: stats.isDirectory(),
    id: `${stats.dev}:${stats.ino}`,
    size: stats.isFile() ? Number(stats.size) : 0,
    ino: stats.ino.toString(),
  };
}

/** The directory's names, sorted, minus those `skip` rejects, each examined; `overflow` past `budget` of them. */
export function listDirectory(dir: string, spec: ListSpec, skip: (file: string) => boolean, budget: number): Listing {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    return { error: `cannot list directory: ${describeError(err)}` };
  }
  const prefix = dir === '/' ? '/' : `${dir}/`;
  const kept = names.map((n) => prefix + n).filter((file) => !skip(file));
  if (kept.length > budget) return { overflow: kept[Math.max(0, budget)]! };
  return { items: kept.map((file) => examine(file, spec)) };
}
