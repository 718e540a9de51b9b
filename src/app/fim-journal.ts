// The FIM event journal of one host and policy: an append-only file of JSON lines under fim/events/. Events are
// never rewritten; accepting them appends an acceptance record (who, when, why, which paths). Each line
// carries the sha256 of the line before it and the database keeps the count, length and last hash, so an edited,
// removed or reordered line is found when the journal is read.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import { PromanagerError } from '../core/errors.js';
import type { ChangeFields } from '../agent/fim-entry.js';
import { compileGlob } from '../agent/fim-glob.js';
import type { FimBaseline } from '../store/schema.js';
import { fimPath } from './fim-files.js';

export interface EventBody extends ChangeFields {
  type: 'event';
  detected_at: string;
  /** `check`: found by `fim check`; `schedule`: by a scheduled check on the host, pulled in later */
  source: 'check' | 'schedule';
}

export interface AcceptBody {
  type: 'accept';
  /** null: every path */
  path_glob: string | null;
  /** events up to this sequence number are covered */
  upto_seq: number;
  by: string;
  at: string;
  reason: string;
  /** how many paths of the drift were taken into the baseline */
  paths: number;
}

/** A new baseline replaced the old one; events before it are about the old one. */
export interface BaselineBody {
  type: 'baseline';
  by: string;
  at: string;
  entries: number;
  sha256: string;
}

export type JournalBody = EventBody | AcceptBody | BaselineBody;
export type JournalRecord = JournalBody & { seq: number; prev: string };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const eventsFileName = (hostId: number, policyId: number) => `h${hostId}-p${policyId}.ndjson`;

function journalError(file: string, what: string): PromanagerError {
  return new PromanagerError(`the FIM event journal ${file} ${what}: it was changed outside promanager`, {
    hint: 'restore it from a backup; the audit log shows who ran which FIM commands',
  });
}

/** Appends under the state lock, updating the row's count, length and last hash (the caller writes the row). */
export function appendJournal(home: string, row: FimBaseline, bodies: JournalBody[]): void {
  if (bodies.length === 0) return;
  const file = fimPath(home, 'events', row.events_file);
  const size = existsSync(file) ? statSync(file).size : 0;
  if (size < row.events_bytes) throw journalError(file, `is ${size} bytes, shorter than the ${row.events_bytes} recorded`);
  // A tail beyond the recorded length was written by a command that failed before saving the state.
  if (size > row.events_bytes) truncateSync(file, row.events_bytes);
  let prev = row.events_last_sha256;
  let seq = row.events_count;
  const lines = bodies.map((body) => {
    const line = JSON.stringify({ seq: ++seq, prev, ...body });
    prev = sha256(line);
    return line;
  });
  const text = `${lines.join('\n')}\n`;
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  row.events_count = seq;
  row.events_bytes += Buffer.byteLength(text);
  row.events_last_sha256 = prev;
}

/** Every record of the journal, verified against the chain and the row. */
export function readJournal(home: string, row: FimBaseline): JournalRecord[] {
  if (row.events_count === 0) return [];
  const file = fimPath(home, 'events', row.events_file);
  if (!existsSync(file)) throw journalError(file, 'is missing');
  const buffer = Buffer.alloc(row.events_bytes);
  const fd = openSync(file, 'r');
  let got = 0;
  try {
    while (got < buffer.length) {
      const n = readSync(fd, buffer, got, buffer.length - got, got);
      if (n === 0) break;
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  if (got < row.events_bytes) throw journalError(file, `is ${got} bytes, shorter than the ${row.events_bytes} recorded`);
  const lines = buffer.toString('utf8').split('\n').filter((l) => l !== '');
  let prev = '';
  const records = lines.map((line, i) => {
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      throw journalError(file, `has an unreadable line ${i + 1}`);
    }
    if (record.prev !== prev || record.seq !== i + 1) throw journalError(file, `breaks its hash chain at line ${i + 1}`);
    prev = sha256(line);
    return record;
  });
  if (records.length !== row.events_count || prev !== row.events_last_sha256) throw journalError(file, 'does not end where the database says it does');
  return records;
}

export interface Acceptance {
  by: string;
  at: string;
  reason: string;
}

export type FoldedEvent = EventBody & { seq: number; accepted: Acceptance | null };

/** The events of a journal with their acceptance (the first acceptance record, or new baseline, that covers each). */
export function foldJournal(records: JournalRecord[]): FoldedEvent[] {
  const events: FoldedEvent[] = [];
  for (const r of records) {
    if (r.type === 'event') {
      const { prev: _prev, ...event } = r;
      events.push({ ...event, accepted: null });
    } else if (r.type === 'accept') {
      const covers = r.path_glob === null ? () => true : compileGlob(r.path_glob);
      for (const e of events) {
        if (e.accepted === null && e.seq <= r.upto_seq && covers(e.path)) e.accepted = { by: r.by, at: r.at, reason: r.reason };
      }
    } else {
      // A new baseline takes the host as it is: whatever was reported before is settled by it.
      for (const e of events) if (e.accepted === null) e.accepted = { by: r.by, at: r.at, reason: 'superseded by a new baseline' };
    }
  }
  return events;
}
