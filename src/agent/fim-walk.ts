// Walking a policy's paths in baseline order (see comparePaths): lstat semantics unless the policy follows
// symlinks, excludes and a depth limit applied, /proc, /sys and /dev never entered unless a policy path lies
// there, and the per-host limits on files and bytes enforced as a clear error, never as a silent truncation.
// Synchronous on purpose: lstat/readdir of cached metadata are cheapest without promise overhead, and the
// hashing (the slow part) runs in worker threads meanwhile.
import path from 'node:path';
import { comparePaths, type FimPolicySpec } from './fim-entry.js';
import { compileGlobs } from './fim-glob.js';
import { examine, listDirectory, type Examined } from './fim-list.js';

export interface WalkItem extends Examined {
  /** a directory that could not be listed (the entry is still recorded) */
  listError?: string;
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

interface Frame {
  items: Examined[];
  next: number;
  depth: number;
  id: string;
}

export function* walk(spec: FimPolicySpec, report: WalkReport): Generator<WalkItem> {
  const listSpec = { wanted: new Set(spec.attributes), follow: spec.follow_symlinks };
  const excluded = compileGlobs(spec.excludes);
  const pseudoSkipped = new Set(PSEUDO_FILESYSTEMS.filter((p) => !spec.paths.some((r) => r === p || r.startsWith(`${p}/`))));
  const maxDepth = spec.max_depth ?? Infinity;
  const stack: Frame[] = [];

  const count = (item: Examined): void => {
    if (++report.files > spec.max_files) throw new LimitReached('files', spec.max_files, item.path);
    report.bytes += item.size;
    if (report.bytes > spec.max_bytes) throw new LimitReached('bytes', spec.max_bytes, item.path);
  };
  const skip = (file: string): boolean => {
    if (excluded(file)) return true;
    if (!pseudoSkipped.has(file)) return false;
    report.skipped_pseudo.push(file);
    return true;
  };
  const descends = (item: Examined, depth: number): boolean => item.dir && item.line !== null && depth < maxDepth;

  /** The item, with its directory's listing pushed as a frame when the walk goes into it. */
  const enter = (item: Examined, depth: number): WalkItem => {
    if (!descends(item, depth)) return item;
    if (spec.follow_symlinks && stack.some((f) => f.id === item.id)) return { ...item, listError: 'symlink loop: this directory is one of its own ancestors' };
    // A directory too big for what is left of the file limit is not examined whole first.
    const listing = listDirectory(item.path, listSpec, skip, spec.max_files - report.files);
    if ('overflow' in listing) throw new LimitReached('files', spec.max_files, listing.overflow);
    if ('error' in listing) return { ...item, listError: listing.error };
    stack.push({ items: listing.items, next: 0, depth, id: item.id });
    return item;
  };

  for (const root of walkRoots(spec.paths)) {
    if (excluded(root)) continue;
    const first = examine(root, listSpec);
    if (first.error === 'ENOENT') {
      report.missing_paths.push(root);
      continue;
    }
    if (first.line !== null) count(first);
    yield enter(first, 0);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.next >= frame.items.length) {
        stack.pop();
        continue;
      }
      const item = frame.items[frame.next++]!;
      if (item.line === null) {
        yield { ...item, error: item.error === 'ENOENT' ? 'vanished during the scan' : item.error };
        continue;
      }
      count(item);
      yield enter(item, frame.depth + 1);
    }
  }
}
