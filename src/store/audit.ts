// The audit log: one JSON record a line in $PROMANAGER_HOME/audit.log, kept out of the database because it only
// grows. Each record carries the hash of the one before it, so an edited, removed or reordered line breaks the
// chain and `audit --verify` points at it.
import { createHash } from 'node:crypto';
import { appendFile, open, readFile } from 'node:fs/promises';
import path from 'node:path';

export type AuditResult = 'ok' | 'error' | 'partial' | 'denied' | 'drift' | 'interrupted';

export interface AuditEntry {
  /** the identity that ran the command (the OS user) */
  who: string;
  /** the identity acted as, with --as */
  as: string | null;
  command: string;
  args: string[];
  clusters: string[];
  hosts: string[];
  result: AuditResult;
  exit_code: number;
  message: string | null;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  at: string;
  prev_hash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

export function auditFile(home: string): string {
  return path.join(home, 'audit.log');
}

function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(JSON.stringify(record)).digest('hex');
}

/** Reads only the tail of the file: the chain needs the last record, and the log may be large. */
async function lastRecord(file: string): Promise<AuditRecord | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    let window = 8192;
    while (true) {
      const start = Math.max(0, size - window);
      const buf = Buffer.alloc(size - start);
      await handle.read(buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n').filter((l) => l.length > 0);
      if (lines.length >= 2 || start === 0) {
        const last = lines[lines.length - 1];
        return last ? (JSON.parse(last) as AuditRecord) : null;
      }
      window *= 4;
    }
  } finally {
    await handle.close();
  }
}

/** Appends one record. The caller holds the state lock so the chain has a single writer. */
export async function appendAudit(home: string, entry: AuditEntry, now: Date): Promise<AuditRecord> {
  const file = auditFile(home);
  const prev = await lastRecord(file);
  const body: Omit<AuditRecord, 'hash'> = {
    seq: (prev?.seq ?? 0) + 1,
    at: now.toISOString(),
    ...entry,
    prev_hash: prev?.hash ?? GENESIS,
  };
  const record: AuditRecord = { ...body, hash: hashRecord(body) };
  await appendFile(file, JSON.stringify(record) + '\n', { mode: 0o600 });
  return record;
}

export async function readAudit(home: string): Promise<AuditRecord[]> {
  let text: string;
  try {
    text = await readFile(auditFile(home), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const records: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as AuditRecord);
    } catch {
      records.push({ seq: -1, at: '', who: '', as: null, command: '(unreadable line)', args: [], clusters: [], hosts: [],
        result: 'error', exit_code: -1, message: line.slice(0, 200), prev_hash: '', hash: '' });
    }
  }
  return records;
}

export interface ChainBreak {
  line: number;
  seq: number;
  reason: string;
}

/** Walks the chain from the start; returns every place it breaks. */
export function verifyChain(records: AuditRecord[]): ChainBreak[] {
  const breaks: ChainBreak[] = [];
  let prevHash = GENESIS;
  let prevSeq = 0;
  records.forEach((record, index) => {
    const line = index + 1;
    const { hash, ...body } = record;
    if (record.seq === -1) {
      breaks.push({ line, seq: -1, reason: 'line is not valid JSON' });
    } else {
      if (record.prev_hash !== prevHash) breaks.push({ line, seq: record.seq, reason: 'prev_hash does not match the record before it (a record was removed, inserted or reordered)' });
      if (hashRecord(body) !== hash) breaks.push({ line, seq: record.seq, reason: 'hash does not match the record content (the record was edited)' });
      if (record.seq !== prevSeq + 1) breaks.push({ line, seq: record.seq, reason: `sequence jumps from ${prevSeq} to ${record.seq}` });
    }
    prevHash = hash;
    prevSeq = record.seq;
  });
  return breaks;
}
