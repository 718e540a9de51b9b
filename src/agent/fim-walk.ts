// Walking a policy's paths in baseline order (see comparePaths): lstat semantics unless the policy follows
// symlinks, excludes and a depth limit applied, /proc, /sys and /dev never entered unless a policy path lies
// there, and the per-host limits on files and bytes enforced as a clear error, never as a silent truncation.
// Synchronous on purpose: lstat/readdir of cached metadata are cheapest without promise overhead, and the
// hashing (the slow part) runs in worker threads meanwhile.
import { lstatSync, readdirSync, readlinkSync, statSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { comparePaths, type FimPolicySpec } from './fim-entry.js';
import { compileGlobs } from './fim-glob.js';

export interface WalkItem {
  path: string;
  /** null: the path could not be examined (see error) */
  stats: BigIntStats | null;
  linkTarget: string | null;
  /** a directory that could not be listed, or a path that could not be examined */
  error?: string;
}

export interface WalkReport {
  /** policy paths that do not exist on this host (a legitimate state: compared like any absence) */
  missing_paths: string[];
  /** pseudo filesystems passed over because no policy path names them */
  skipped_pseudo: string[];
  files: number;
  bytes: number;
}

export class LimitReached extends Error {
  constructor(readonly kind: 'files' | 'bytes', readonly limit: number, readonly at: string) {
    super(`${kind === 'files' ? 'file' : 'byte'} limit reached: more than ${limit} ${kind} under the policy's paths (stopped at ${at}); nothing was recorded for this host`);
  }
}

const PSEUDO_FILESYSTEMS = ['/proc', '/sys', '/dev'];

/** Absolute, normalised, sorted, with paths inside another policy path dropped (the outer walk covers them). */
export function walkRoots(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths.map((p) => path.posix.normalize(p).replace(/(.)\/+$/, '$1')))].sort(comparePaths);
  const roots: string[] = [];
  for (const p of sorted) {
    const outer = roots[roots.length - 1];
    if (outer !== undefined && (outer === '/' || p.startsWith(`${outer}/`))) continue;
    roots.push(p);
  }
  return roots;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}` : String(err);
}

interface Frame {
  dir: string;
  names: string[];
  next: number;
  depth: number;
  /** dev:ino of the directory, for symlink loop detection when following links */
  id: string;
}

export function* walk(spec: FimPolicySpec, report: WalkReport): Generator<WalkItem> {
  const roots = walkRoots(spec.paths);
  const excluded = compileGlobs(spec.excludes);
  const pseudoSkipped = new Set(PSEUDO_FILESYSTEMS.filter((p) => !spec.paths.some((r) => r === p || r.startsWith(`${p}/`))));
  const maxDepth = spec.max_depth ?? Infinity;
  const stack: Frame[] = [];

  const examine = (file: string, depth: number, isRoot: boolean): { item: WalkItem; frame: Frame | null } | null => {
    let stats: BigIntStats;
    let linkTarget: string | null = null;
    try {
      stats = lstatSync(file, { bigint: true });
      if (stats.isSymbolicLink()) {
        linkTarget = readlinkSync(file);
        if (spec.follow_symlinks) {
          try {
            stats = statSync(file, { bigint: true });
          } catch {
            // a dangling link is recorded as the link itself
          }
        }
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (isRoot && code === 'ENOENT') {
        report.missing_paths.push(file);
        return null;
      }
      return { item: { path: file, stats: null, linkTarget: null, error: code === 'ENOENT' ? 'vanished during the scan' : describe(err) }, frame: null };
    }
    report.files++;
    if (report.files > spec.max_files) throw new LimitReached('files', spec.max_files, file);
    if (stats.isFile()) {
      report.bytes += Number(stats.size);
      if (report.bytes > spec.max_bytes) throw new LimitReached('bytes', spec.max_bytes, file);
    }
    const item: WalkItem = { path: file, stats, linkTarget };
    if (!stats.isDirectory() || depth >= maxDepth) return { item, frame: null };
    const id = `${stats.dev}:${stats.ino}`;
    if (spec.follow_symlinks && stack.some((f) => f.id === id)) {
      item.error = 'symlink loop: this directory is one of its own ancestors';
      return { item, frame: null };
    }
    try {
      const names = readdirSync(file).sort();
      return { item, frame: { dir: file, names, next: 0, depth, id } };
    } catch (err) {
      item.error = `cannot list directory: ${describe(err)}`;
      return { item, frame: null };
    }
  };

  for (const root of roots) {
    if (excluded(root)) continue;
    const first = examine(root, 0, true);
    if (!first) continue;
    yield first.item;
    if (first.frame) stack.push(first.frame);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.next >= frame.names.length) {
        stack.pop();
        continue;
      }
      const name = frame.names[frame.next++]!;
      const file = frame.dir === '/' ? `/${name}` : `${frame.dir}/${name}`;
      if (excluded(file)) continue;
      if (pseudoSkipped.has(file)) {
        report.skipped_pseudo.push(file);
        continue;
      }
      const found = examine(file, frame.depth + 1, false);
      if (!found) continue;
      yield found.item;
      if (found.frame) stack.push(found.frame);
    }
  }
}
