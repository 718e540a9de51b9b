// One scan of a policy, merged with the baseline as it goes: every path yields its current entry (hashed in
// the worker threads) next to its baseline entry, in baseline order. The merge happens before hashing so that
// in the default mode a file whose size, mtime, ctime and inode all match the baseline reuses its recorded
// hash instead of being read again; `full` reads everything. Results come in batches: a check of an unchanged
// tree is mostly lstat calls, and per-item promise hops would cost as much again.
import { comparePaths, type FimAttribute, type FimEntry, type FimPolicySpec } from './fim-entry.js';
import { Hasher } from './fim-hash.js';
import type { EntryCursor } from './fim-lines.js';
import { entryOf } from './fim-list.js';
import { walk, type WalkItem, type WalkReport } from './fim-walk.js';

export interface ScanItem {
  path: string;
  /** null: gone (removed) or could not be examined (see unknown) */
  current: FimEntry | null;
  base: FimEntry | null;
  /** why the state of this path could not be established */
  unknown?: string;
}

export interface ScanOptions {
  baseline: EntryCursor | null;
  full: boolean;
  report: WalkReport & { hashed_files: number; hashed_bytes: number };
  hasher?: Hasher;
}

/** How many paths may wait for their hash before the scan stops walking ahead. */
const WINDOW = 4096;
const WINDOW_BYTES = 512 << 20;
const BATCH = 512;

/** The attributes that must all be recorded for an unchanged-looking file to skip rehashing. */
const SKIP_KEYS: FimAttribute[] = ['size', 'mtime', 'ctime', 'inode'];

export function canSkipRehash(spec: FimPolicySpec): boolean {
  return SKIP_KEYS.every((k) => spec.attributes.includes(k));
}

/**
 * Whether the entry found now, as its JSON line, is the baseline's line: the common case of a check where nothing
 * changed, decided without parsing either. A file found now has no hash yet; when rehashing may be skipped, its
 * line matches when it equals the baseline's everywhere but the recorded hash (equal text then also means equal
 * size, mtime, ctime and inode). Anything else, including a line written another way (an accepted entry, say),
 * is compared the long way.
 */
export function sameLine(current: string, base: string, mayReuse: boolean): boolean {
  if (current === base) return true;
  if (!mayReuse || base.length !== current.length + 62) return false;
  const at = current.indexOf('"sha256":null');
  if (at < 0 || base.charCodeAt(at + 9) !== 34 || base.charCodeAt(at + 74) !== 34) return false;
  return base.startsWith(current.slice(0, at + 9)) && base.endsWith(current.slice(at + 13));
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

export async function* scan(spec: FimPolicySpec, opts: ScanOptions): AsyncGenerator<ScanItem[]> {
  const wanted = new Set<FimAttribute>(spec.attributes);
  const mayReuse = !opts.full && canSkipRehash(spec);
  const hasher = opts.hasher ?? new Hasher();
  const cursor = opts.baseline;
  const window: Slot[] = [];
  let windowBytes = 0;
  /** Baseline paths under this prefix belong to a directory that could not be listed or examined now. */
  let shadow: { prefix: string; reason: string } | null = null;

  /** Baseline entries before `file` (all that are left when null): gone now, or hidden by `shadow`. */
  const passBaselineBefore = async (file: string | null): Promise<void> => {
    if (!cursor) return;
    while (true) {
      if (cursor.needsFill) await cursor.fill();
      const headPath = cursor.headPath;
      if (headPath === null || (file !== null && comparePaths(headPath, file) >= 0)) return;
      const head = cursor.take()!;
      const hidden = shadow && head.path.startsWith(shadow.prefix);
      window.push(settled(hidden ? { path: head.path, current: null, base: head, unknown: shadow!.reason } : { path: head.path, current: null, base: head }));
    }
  };

  /** Takes finished slots off the head; waits for unfinished ones only while more than `keep` are queued. */
  const drain = async (keep: number): Promise<ScanItem[]> => {
    const out: ScanItem[] = [];
    while (window.length > 0) {
      const slot = window[0]!;
      if (!slot.ready) {
        if (window.length <= keep) break;
        hasher.flush();
        await slot.hashing;
      }
      window.shift();
      windowBytes -= slot.bytes;
      out.push(slot.item);
    }
    return out;
  };

  /** The slot of a path found now and not the same as in the baseline: compared the long way, or waiting for its hash. */
  const track = (w: WalkItem, current: FimEntry, baseLine: string | null): Slot => {
    const hashed = current.type === 'file' && wanted.has('sha256');
    const base = baseLine === null ? null : (JSON.parse(baseLine) as FimEntry);
    const slot: Slot = { item: { path: w.path, current, base }, hashing: null, ready: true, bytes: 0 };
    if (!hashed) return slot;
    if (mayReuse && base && unchanged(base, current)) {
      current.sha256 = base.sha256 ?? null;
      return slot;
    }
    slot.bytes = w.size;
    opts.report.hashed_files++;
    opts.report.hashed_bytes += slot.bytes;
    slot.ready = false;
    slot.hashing = hasher.hash(w.path, slot.bytes, w.ino, spec.follow_symlinks).then((r) => {
      current.sha256 = r.sha256;
      if (r.error) current.error = r.error;
      slot.ready = true;
    });
    return slot;
  };

  /**
   * The slot of a path the walk found, given its baseline line (null: not in the baseline); null when the path
   * is exactly as the baseline records it: nothing to report, so nothing is kept for it.
   */
  const slotOf = (w: WalkItem, baseLine: string | null): Slot | null => {
    if (w.line === null) {
      const base = baseLine === null ? null : (JSON.parse(baseLine) as FimEntry);
      shadow = { prefix: `${w.path}/`, reason: `parent directory ${w.path} could not be examined` };
      return settled({ path: w.path, current: null, base, unknown: w.error ?? 'could not be examined' });
    }
    if (baseLine !== null && !w.listError && sameLine(w.line, baseLine, mayReuse)) return null;
    const current = entryOf(w)!;
    if (w.listError) {
      current.error = w.listError;
      shadow = { prefix: `${w.path}/`, reason: `directory ${w.path}: ${w.listError}` };
    }
    return track(w, current, baseLine);
  };

  try {
    for (const w of walk(spec, opts.report)) {
      // Awaited only when there is something to pass or to read: an await per path costs as much as its lstat.
      if (cursor && (cursor.needsFill || (cursor.headPath !== null && comparePaths(cursor.headPath, w.path) < 0))) await passBaselineBefore(w.path);
      const slot = slotOf(w, cursor && cursor.headPath === w.path ? cursor.takeLine() : null);
      if (slot) {
        window.push(slot);
        windowBytes += slot.bytes;
      }
      // Keep the workers busy but the memory bounded: once far enough ahead, hand out the oldest results.
      const due = window.length > WINDOW || windowBytes > WINDOW_BYTES ? WINDOW / 2 : window.length >= BATCH && window[0]!.ready ? Infinity : null;
      if (due !== null) {
        const out = await drain(due);
        if (out.length) yield out;
      }
    }
    await passBaselineBefore(null);
    const rest = await drain(0);
    if (rest.length) yield rest;
  } finally {
    if (!opts.hasher) await hasher.close();
  }
}
