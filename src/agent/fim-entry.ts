// What a file integrity scan records about one path, and the pure rules around it: the order entries are kept
// in, how two entries of the same path are compared, and what a difference (drift) looks like. Shared by the
// agent (which scans) and the controller (which stores baselines and events), so both sides agree exactly.
// Node built-ins only: this is bundled into the agent.
import type { BigIntStats } from 'node:fs';

export const FIM_ATTRIBUTES = ['sha256', 'size', 'mode', 'uid', 'gid', 'mtime', 'ctime', 'inode', 'type', 'target'] as const;
export type FimAttribute = (typeof FIM_ATTRIBUTES)[number];

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block';

/** One path as scanned. Only the policy's attributes are present (type always is). */
export interface FimEntry {
  path: string;
  type: EntryType;
  sha256?: string | null;
  /** bytes; null for directories, whose size depends on the filesystem rather than on their content */
  size?: number | null;
  /** permission bits as four octal digits, e.g. "0644", "4755" */
  mode?: string;
  uid?: number;
  gid?: number;
  /** ISO 8601 with nanoseconds */
  mtime?: string;
  ctime?: string;
  inode?: string;
  /** symlink target; null for anything else */
  target?: string | null;
  /** why the content (or, for a directory, the listing) could not be read; the entry is still recorded */
  error?: string;
}

export type AttributeValues = Partial<Record<FimAttribute, string | number | null>>;

export type DriftKind = 'added' | 'removed' | 'modified' | 'unknown';

/** What a change is, wherever it is kept: in a check's drift, a journal on the host, an event on the controller. */
export type ChangeFields = Pick<DriftEntry, 'path' | 'kind' | 'attributes' | 'old' | 'new' | 'reason'>;

/** A difference between the baseline and what a check found. */
export interface DriftEntry {
  path: string;
  kind: DriftKind;
  /** the attributes that differ (modified), or every recorded one (added, removed) */
  attributes: FimAttribute[];
  old: AttributeValues | null;
  new: AttributeValues | null;
  /** why the state could not be fully established (unreadable, vanished mid-scan, I/O error); null otherwise */
  reason: string | null;
  /** the whole entry as found now, so accepting the change can take it into the baseline; null when removed */
  current: FimEntry | null;
}

/** A policy as the agent needs it. The controller sends it with every request; the host copy serves cron only. */
export interface FimPolicySpec {
  name: string;
  paths: string[];
  excludes: string[];
  max_depth: number | null;
  attributes: FimAttribute[];
  follow_symlinks: boolean;
  max_files: number;
  max_bytes: number;
}

/**
 * The order of entries in a baseline: depth-first with the names in each directory sorted, which is plain
 * string order with '/' sorting before every other character (a directory comes right before its contents,
 * and `a/…` before `a.b`). Both the scan and the stored files follow it, so they can be merged in one pass.
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 47) return -1;
    if (y === 47) return 1;
    return x - y;
  }
  return a.length - b.length;
}

const TYPE_BITS: Array<[number, EntryType]> = [
  [0o100000, 'file'], [0o040000, 'dir'], [0o120000, 'symlink'], [0o010000, 'fifo'],
  [0o140000, 'socket'], [0o020000, 'char'], [0o060000, 'block'],
];

export function entryType(mode: number): EntryType {
  const fmt = mode & 0o170000;
  return TYPE_BITS.find(([bits]) => bits === fmt)?.[1] ?? 'file';
}

let lastSecond: bigint | null = null;
let lastPrefix = '';
let lastSecondDigits = '';

/** Nanosecond timestamps as ISO 8601 (a Date keeps only milliseconds, and a touch may change less). */
export function isoNs(ns: bigint): string {
  // Since 2001 (ten digits of seconds): split the decimal digits, cheaper than BigInt arithmetic per file.
  if (ns >= 1_000_000_000_000_000_000n && ns < 10_000_000_000_000_000_000n) {
    const digits = ns.toString();
    const secondDigits = digits.slice(0, 10);
    if (secondDigits !== lastSecondDigits) {
      lastSecondDigits = secondDigits;
      lastSecond = null;
      lastPrefix = new Date(Number(secondDigits) * 1000).toISOString().slice(0, 19);
    }
    return `${lastPrefix}.${digits.slice(10)}Z`;
  }
  lastSecondDigits = '';
  const second = ns >= 0n ? ns / 1_000_000_000n : (ns - 999_999_999n) / 1_000_000_000n;
  const frac = ns - second * 1_000_000_000n;
  // Files of one tree share a handful of seconds: format each second once.
  if (second !== lastSecond) {
    lastSecond = second;
    lastPrefix = new Date(Number(second) * 1000).toISOString().slice(0, 19);
  }
  return `${lastPrefix}.${frac.toString().padStart(9, '0')}Z`;
}

/**
 * The entry for `stats` as its JSON line, with the attributes `wanted` in the canonical order (sha256 null: the
 * hasher fills it in). Written directly, without building the object: a scan compares this text with the
 * baseline's line and builds the entry (JSON.parse) only for a path that differs.
 */
export function entryLine(file: string, stats: BigIntStats, wanted: ReadonlySet<FimAttribute>, linkTarget: string | null, ino = stats.ino.toString()): string {
  const mode = Number(stats.mode);
  const type = entryType(mode);
  let line = `{"path":${JSON.stringify(file)},"type":"${type}"`;
  if (wanted.has('sha256')) line += ',"sha256":null';
  if (wanted.has('size')) line += `,"size":${type === 'dir' ? 'null' : Number(stats.size)}`;
  if (wanted.has('mode')) line += `,"mode":"${(mode & 0o7777).toString(8).padStart(4, '0')}"`;
  if (wanted.has('uid')) line += `,"uid":${Number(stats.uid)}`;
  if (wanted.has('gid')) line += `,"gid":${Number(stats.gid)}`;
  if (wanted.has('mtime')) line += `,"mtime":"${isoNs(stats.mtimeNs)}"`;
  if (wanted.has('ctime')) line += `,"ctime":"${isoNs(stats.ctimeNs)}"`;
  if (wanted.has('inode')) line += `,"inode":"${ino}"`;
  if (wanted.has('target')) line += `,"target":${linkTarget === null ? 'null' : JSON.stringify(linkTarget)}`;
  return `${line}}`;
}

function valueOf(entry: FimEntry, attribute: FimAttribute): string | number | null {
  const v = entry[attribute];
  return v === undefined ? null : v;
}

/** The recorded attributes of an entry, in the canonical order. */
export function attributeValues(entry: FimEntry, attributes: readonly FimAttribute[]): AttributeValues {
  const out: AttributeValues = {};
  for (const a of FIM_ATTRIBUTES) if (a === 'type' || attributes.includes(a)) out[a] = valueOf(entry, a);
  return out;
}

/**
 * The difference between the baseline entry and the current one of the same path, or null when they agree.
 * A content hash that could not be computed now is not a difference by itself: it makes the entry `unknown`
 * (with the reason) unless some other attribute changed, in which case it is `modified` and keeps the reason.
 */
export function compareEntries(base: FimEntry, current: FimEntry, attributes: readonly FimAttribute[]): DriftEntry | null {
  const changed: FimAttribute[] = [];
  // An unreadable file, or a directory that could not be listed: its content cannot be vouched for.
  const unverifiable = current.error !== undefined;
  for (const a of FIM_ATTRIBUTES) {
    if (a !== 'type' && !attributes.includes(a)) continue;
    if (a === 'sha256' && unverifiable) continue;
    if (valueOf(base, a) !== valueOf(current, a)) changed.push(a);
  }
  if (changed.length === 0 && !unverifiable) return null;
  const pick = (e: FimEntry): AttributeValues => Object.fromEntries(changed.map((a) => [a, valueOf(e, a)]));
  return {
    path: current.path,
    kind: changed.length > 0 ? 'modified' : 'unknown',
    attributes: changed,
    old: pick(base),
    new: pick(current),
    reason: unverifiable ? `not verified: ${current.error}` : null,
    current,
  };
}

export function addedEntry(current: FimEntry, attributes: readonly FimAttribute[]): DriftEntry {
  const values = attributeValues(current, attributes);
  return { path: current.path, kind: 'added', attributes: Object.keys(values) as FimAttribute[], old: null, new: values, reason: current.error ? `not verified: ${current.error}` : null, current };
}

export function removedEntry(base: FimEntry, attributes: readonly FimAttribute[]): DriftEntry {
  const values = attributeValues(base, attributes);
  return { path: base.path, kind: 'removed', attributes: Object.keys(values) as FimAttribute[], old: values, new: null, reason: null, current: null };
}

/** A path whose state could not be established at all (vanished mid-scan, not listable, I/O error). */
export function unknownEntry(path: string, reason: string, base: FimEntry | null, attributes: readonly FimAttribute[]): DriftEntry {
  return { path, kind: 'unknown', attributes: [], old: base ? attributeValues(base, attributes) : null, new: null, reason, current: null };
}

/**
 * Identity of a drift observation: the same path found in the same state again is not a new event. Two checks
 * that see the same modification record one event; a further change of the same file records another.
 */
export function driftKey(d: Pick<DriftEntry, 'path' | 'kind' | 'new' | 'reason'>): string {
  return JSON.stringify([d.path, d.kind, d.new, d.kind === 'unknown' ? d.reason : null]);
}

export function isChange(d: Pick<DriftEntry, 'kind'>): boolean {
  return d.kind !== 'unknown';
}
