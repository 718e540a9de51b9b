// What the latest check found different from the baseline (the drift), kept per host and policy under
// fim/drift/ with its hash in the database, and the rule that turns checks into events: a difference becomes
// an event when it is new or has changed since the previous check, so checking twice records a change once.
// `fim accept` takes entries of the drift into the baseline.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { PromanagerError } from '../core/errors.js';
import { comparePaths, driftKey, type DriftEntry } from '../agent/fim-entry.js';
import type { JournalLine } from '../agent/fim-host.js';
import type { FimBaseline } from '../store/schema.js';
import { fimPath, removeQuietly } from './fim-files.js';
import { appendJournal, type EventBody } from './fim-journal.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function readDrift(home: string, row: FimBaseline): Map<string, DriftEntry> {
  const drift = new Map<string, DriftEntry>();
  if (!row.drift_file) return drift;
  const file = fimPath(home, 'drift', row.drift_file);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (text === null || sha256(text) !== row.drift_sha256) {
    throw new PromanagerError(`the FIM drift file ${file} is ${text === null ? 'missing' : 'not the one the database recorded'}: it was changed outside promanager`, {
      hint: 'run promanager fim check again to record the current drift',
    });
  }
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const d = JSON.parse(line) as DriftEntry;
    drift.set(d.path, d);
  }
  return drift;
}

/** Replaces the row's drift with `entries` (the previous file is removed once the new one is in place). */
export function writeDrift(home: string, row: FimBaseline, entries: Iterable<DriftEntry>): void {
  const sorted = [...entries].sort((a, b) => comparePaths(a.path, b.path));
  const old = row.drift_file ? fimPath(home, 'drift', row.drift_file) : null;
  if (sorted.length === 0) {
    Object.assign(row, { drift_file: null, drift_sha256: null, drift_count: 0 });
  } else {
    const text = sorted.map((d) => JSON.stringify(d)).join('\n') + '\n';
    const digest = sha256(text);
    const name = `h${row.host_id}-p${row.policy_id}-${digest.slice(0, 16)}.ndjson`;
    writeFileSync(fimPath(home, 'drift', name), text, { mode: 0o600 });
    Object.assign(row, { drift_file: name, drift_sha256: digest, drift_count: sorted.length });
  }
  const now = row.drift_file ? fimPath(home, 'drift', row.drift_file) : null;
  if (old && old !== now) removeQuietly(old);
}

/** The differences that are not already in `previous` in the same state. */
export function newDrift(previous: Map<string, DriftEntry>, found: Iterable<DriftEntry>): DriftEntry[] {
  const fresh: DriftEntry[] = [];
  for (const d of found) {
    const before = previous.get(d.path);
    if (!before || driftKey(before) !== driftKey(d)) fresh.push(d);
  }
  return fresh;
}

export function eventBody(d: DriftEntry, detectedAt: string, source: EventBody['source']): EventBody {
  return { type: 'event', path: d.path, kind: d.kind, attributes: d.attributes, old: d.old, new: d.new, reason: d.reason, detected_at: detectedAt, source };
}

export interface Findings {
  /** events to append, in the order things happened */
  bodies: EventBody[];
  /** the drift after these findings */
  drift: DriftEntry[];
}

/**
 * What a host reported, as events and the resulting drift: first what scheduled checks journalled on the host
 * (in order), then, when `found` is given, a check's complete drift, which becomes the drift. Pure.
 */
export function findingsToEvents(previous: Map<string, DriftEntry>, input: { journal: JournalLine[]; found: DriftEntry[] | null; baselineAt: string; now: string }): Findings {
  const drift = new Map(previous);
  const bodies: EventBody[] = [];
  for (const line of input.journal) {
    // Lines from before the current baseline describe a baseline that no longer exists.
    if (line.type !== 'event' || line.at < input.baselineAt) continue;
    const { type: _type, at, baseline_sha256: _sha, ...d } = line;
    for (const fresh of newDrift(drift, [d])) {
      bodies.push(eventBody(fresh, at, 'schedule'));
      drift.set(fresh.path, fresh);
    }
  }
  if (!input.found) return { bodies, drift: [...drift.values()] };
  for (const fresh of newDrift(drift, input.found)) bodies.push(eventBody(fresh, input.now, 'check'));
  return { bodies, drift: input.found };
}

/** Records findings under the state lock: events appended, drift replaced. Returns the number of new events. */
export function recordFindings(home: string, row: FimBaseline, input: { journal: JournalLine[]; found: DriftEntry[] | null; now: string }): number {
  const findings = findingsToEvents(readDrift(home, row), { ...input, baselineAt: row.baseline_at });
  appendJournal(home, row, findings.bodies);
  writeDrift(home, row, findings.drift);
  if (input.found) row.last_check_at = input.now;
  return findings.bodies.length;
}
