// One scan of a policy, merged with the baseline as it goes: every path yields its current entry (hashed in
// the worker threads) next to its baseline entry, in baseline order. The merge happens before hashing so that
// in the default mode a file whose size, mtime, ctime and inode all match the baseline reuses its recorded
// hash instead of being read again; `full` reads everything.
import { entryFromStats, comparePaths, type FimAttribute, type FimEntry, type FimPolicySpec } from './fim-entry.js';
import { Hasher } from './fim-hash.js';
import type { Cursor } from './fim-lines.js';
import { walk, type WalkReport } from './fim-walk.js';

export interface ScanItem {
  path: string;
  /** null: gone (removed) or could not be examined (see unknown) */
  current: FimEntry | null;
  base: FimEntry | null;
  /** why the state of this path could not be established */
  unknown?: string;
}

export interface ScanOptions {
  baseline: Cursor<FimEntry> | null;
  full: boolean;
  report: WalkReport & { hashed_files: number; hashed_bytes: number };
  hasher?: Hasher;
}

/** How many paths may wait for their hash before the scan stops walking ahead. */
const WINDOW = 4096;
const WINDOW_BYTES = 512 << 20;

/** The attributes that must all be recorded for an unchanged-looking file to skip rehashing. */
const SKIP_KEYS: FimAttribute[] = ['size', 'mtime', 'ctime', 'inode'];

export function canSkipRehash(spec: FimPolicySpec): boolean {
  return SKIP_KEYS.every((k) => spec.attributes.includes(k));
}

function unchanged(base: FimEntry, current: FimEntry): boolean {
  return base.type === 'file' && typeof base.sha256 === 'string' && !base.error
    && base.size === current.size && base.mtime === current.mtime && base.ctime === current.ctime && base.inode === current.inode;
}

interface Slot {
  item: ScanItem;
  hashing: Promise<void> | null;
  ready: boolean;
  bytes: number;
}

const settled = (item: ScanItem): Slot => ({ item, hashing: null, ready: true, bytes: 0 });

export async function* scan(spec: FimPolicySpec, opts: ScanOptions): AsyncGenerator<ScanItem> {
  const wanted = new Set<FimAttribute>(spec.attributes);
  const mayReuse = !opts.full && canSkipRehash(spec);
  const hasher = opts.hasher ?? new Hasher();
  const window: Slot[] = [];
  let windowBytes = 0;
  /** Baseline paths under this prefix belong to a directory that could not be listed or examined now. */
  let shadow: { prefix: string; reason: string } | null = null;

  const baselineBefore = async function* (file: string | null): AsyncGenerator<ScanItem> {
    if (!opts.baseline) return;
    let head: FimEntry | null;
    while ((head = await opts.baseline.peek()) && (file === null || comparePaths(head.path, file) < 0)) {
      await opts.baseline.take();
      if (shadow && head.path.startsWith(shadow.prefix)) yield { path: head.path, current: null, base: head, unknown: shadow.reason };
      else yield { path: head.path, current: null, base: head };
    }
  };

  /** Hands out the oldest slots: all finished ones at the head, and waits for more while over `keep`. */
  const drain = async function* (keep: number): AsyncGenerator<ScanItem> {
    while (window.length > 0) {
      const slot = window[0]!;
      if (!slot.ready) {
        if (window.length <= keep) return;
        hasher.flush();
        await slot.hashing;
      }
      window.shift();
      windowBytes -= slot.bytes;
      yield slot.item;
    }
  };

  try {
    for (const w of walk(spec, opts.report)) {
      for await (const gone of baselineBefore(w.path)) window.push(settled(gone));
      const head = opts.baseline ? await opts.baseline.peek() : null;
      const base = head && head.path === w.path ? await opts.baseline!.take() : null;
      if (!w.stats) {
        shadow = { prefix: `${w.path}/`, reason: `parent directory ${w.path} could not be examined` };
        window.push(settled({ path: w.path, current: null, base, unknown: w.error ?? 'could not be examined' }));
        continue;
      }
      const current = entryFromStats(w.path, w.stats, wanted, w.linkTarget);
      if (w.error) {
        current.error = w.error;
        shadow = { prefix: `${w.path}/`, reason: `directory ${w.path}: ${w.error}` };
      }
      const slot: Slot = { item: { path: w.path, current, base }, hashing: null, ready: true, bytes: 0 };
      if (current.type === 'file' && wanted.has('sha256')) {
        if (mayReuse && base && unchanged(base, current)) {
          current.sha256 = base.sha256 ?? null;
        } else {
          slot.bytes = Number(w.stats.size);
          opts.report.hashed_files++;
          opts.report.hashed_bytes += slot.bytes;
          slot.ready = false;
          slot.hashing = hasher.hash(w.path, slot.bytes, w.stats.ino.toString(), spec.follow_symlinks).then((r) => {
            current.sha256 = r.sha256;
            if (r.error) current.error = r.error;
            slot.ready = true;
          });
        }
      }
      window.push(slot);
      windowBytes += slot.bytes;
      // Keep the workers busy but the memory bounded: once far enough ahead, hand out the oldest results.
      yield* drain(window.length > WINDOW || windowBytes > WINDOW_BYTES ? WINDOW / 2 : Infinity);
    }
    for await (const gone of baselineBefore(null)) window.push(settled(gone));
    yield* drain(0);
  } finally {
    if (!opts.hasher) await hasher.close();
  }
}
