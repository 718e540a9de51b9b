// The two things a host does for FIM, independent of who asked (the controller over the protocol, or cron):
// take a baseline (scan everything, hash everything, write the compressed entries) and check against one
// (scan merged with the baseline, report every difference). Limits end either with a LimitReached report.
import { addedEntry, compareEntries, removedEntry, unknownEntry, type DriftEntry, type FimPolicySpec } from './fim-entry.js';
import { EntryCursor, GzipLineWriter } from './fim-lines.js';
import { scan, type ScanItem } from './fim-scan.js';
import { LimitReached, type WalkReport } from './fim-walk.js';

export interface ScanReport extends WalkReport {
  hashed_files: number;
  hashed_bytes: number;
  duration_ms: number;
}

export interface LimitReport {
  kind: 'files' | 'bytes';
  limit: number;
  at: string;
  message: string;
}

export interface BaselineOutcome {
  report: ScanReport;
  entries: number;
  sha256: string;
  /** compressed size */
  bytes: number;
  unknown: number;
  limit: LimitReport | null;
}

export interface DriftCounts {
  added: number;
  removed: number;
  modified: number;
  unknown: number;
}

export interface CheckOutcome extends DriftCounts {
  report: ScanReport;
  limit: LimitReport | null;
}

export function emptyReport(): ScanReport {
  return { missing_paths: [], skipped_pseudo: [], files: 0, bytes: 0, hashed_files: 0, hashed_bytes: 0, duration_ms: 0 };
}

function limitOf(err: unknown): LimitReport {
  if (err instanceof LimitReached) return { kind: err.kind, limit: err.limit, at: err.at, message: err.message };
  throw err;
}

/**
 * Scans everything (no reuse of earlier hashes: a baseline is the point of trust) into `file`, passing the
 * compressed bytes to `onChunk` as they are produced and every path that could not be examined to `onUnknown`.
 * The file is put in place only when the scan completed; `keep: false` (dry run) never puts it in place.
 */
export async function takeBaseline(spec: FimPolicySpec, file: string, hooks: {
  onChunk?(chunk: Buffer): void;
  onUnknown(path: string, reason: string): void;
  keep: boolean;
}): Promise<BaselineOutcome> {
  const started = Date.now();
  const report = emptyReport();
  const writer = new GzipLineWriter(file, hooks.onChunk);
  let unknown = 0;
  try {
    for await (const batch of scan(spec, { baseline: null, full: true, report })) {
      for (const item of batch) {
        if (!item.current) {
          unknown++;
          hooks.onUnknown(item.path, item.unknown ?? 'could not be examined');
          continue;
        }
        if (item.current.error) {
          unknown++;
          hooks.onUnknown(item.path, item.current.error);
        }
        if (!writer.writeLine(JSON.stringify(item.current))) await writer.drained();
      }
    }
  } catch (err) {
    writer.abort();
    report.duration_ms = Date.now() - started;
    return { report, entries: 0, sha256: '', bytes: 0, unknown, limit: limitOf(err) };
  }
  const written = await writer.finish();
  if (hooks.keep) writer.commit();
  else writer.abort();
  report.duration_ms = Date.now() - started;
  return { report, entries: written.lines, sha256: written.sha256, bytes: written.bytes, unknown, limit: null };
}

export function driftOf(item: ScanItem, spec: FimPolicySpec): DriftEntry | null {
  if (item.unknown !== undefined || (!item.current && !item.base)) return unknownEntry(item.path, item.unknown ?? 'could not be examined', item.base, spec.attributes);
  if (!item.current) return removedEntry(item.base!, spec.attributes);
  if (!item.base) return addedEntry(item.current, spec.attributes);
  return compareEntries(item.base, item.current, spec.attributes);
}

export function countDrift(counts: DriftCounts, d: DriftEntry): void {
  counts[d.kind]++;
}

/** Compares the scan with the baseline in `baselineFile`, passing each difference to `onDrift` as found. */
export async function checkAgainst(spec: FimPolicySpec, baselineFile: string, full: boolean, onDrift: (d: DriftEntry) => void | Promise<void>): Promise<CheckOutcome> {
  const started = Date.now();
  const report = emptyReport();
  const counts: DriftCounts = { added: 0, removed: 0, modified: 0, unknown: 0 };
  const baseline = new EntryCursor(baselineFile);
  try {
    for await (const batch of scan(spec, { baseline, full, report })) {
      for (const item of batch) {
        const drift = driftOf(item, spec);
        if (!drift) continue;
        countDrift(counts, drift);
        const waiting = onDrift(drift);
        if (waiting) await waiting;
      }
    }
  } catch (err) {
    report.duration_ms = Date.now() - started;
    return { ...counts, report, limit: limitOf(err) };
  } finally {
    await baseline.close();
  }
  report.duration_ms = Date.now() - started;
  return { ...counts, report, limit: null };
}
