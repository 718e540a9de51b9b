// The controller's FIM records: event journals (hash chain, acceptance), drift → events, baseline rewrites, globs.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIM_ATTRIBUTES, addedEntry, compareEntries, removedEntry, type DriftEntry, type FimEntry } from '../../src/agent/fim-entry.js';
import { compileGlob, validateGlob } from '../../src/agent/fim-glob.js';
import type { JournalLine } from '../../src/agent/fim-host.js';
import { GzipLineWriter, readEntries, sha256OfFile } from '../../src/agent/fim-lines.js';
import { findingsToEvents, readDrift, recordFindings } from '../../src/app/fim-drift.js';
import { fimPath, rewriteBaseline } from '../../src/app/fim-files.js';
import { appendJournal, foldJournal, readJournal } from '../../src/app/fim-journal.js';
import { parseAttributes } from '../../src/app/fim-policy.js';
import { parseSize } from '../../src/cli/fim.js';
import { humanBytes } from '../../src/cli/human.js';
import type { FimBaseline } from '../../src/store/schema.js';

let home: string;
const attrs = [...FIM_ATTRIBUTES];
const file = (p: string, sha: string, size = 1): FimEntry => ({ path: p, type: 'file', sha256: sha, size, mode: '0644', uid: 0, gid: 0, mtime: 't', ctime: 't', inode: '1', target: null });

function row(): FimBaseline {
  return {
    id: 1, policy_id: 1, host_id: 1, file: 'b.gz', sha256: 'a'.repeat(64), entries: 0, bytes: 0, content_bytes: 0, baseline_at: '2026-01-01T00:00:00.000Z',
    baseline_user: null, drift_file: null, drift_sha256: null, drift_count: 0, last_check_at: null, events_file: 'h1-p1.ndjson', events_count: 0,
    events_bytes: 0, events_last_sha256: '', host_sha256: null, schedule: null, journal_offset: 0, create_at: 'x', update_at: 'x',
  };
}

const modified = (p: string, sha: string) => compareEntries(file(p, 'old'), file(p, sha), attrs)!;

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'pm-fim-store-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('globs', () => {
  it('matches names without a slash anywhere, whole paths with one, and ** across directories', () => {
    expect(compileGlob('*.log')('/var/log/app/x.log')).toBe(true);
    expect(compileGlob('*.log')('/var/log/app/x.log.1')).toBe(false);
    expect(compileGlob('/etc/*.conf')('/etc/a.conf')).toBe(true);
    expect(compileGlob('/etc/*.conf')('/etc/sub/a.conf')).toBe(false);
    expect(compileGlob('/etc/**')('/etc/sub/a.conf')).toBe(true);
    expect(compileGlob('/etc/**')('/etc')).toBe(false);
    expect(compileGlob('/etc/**/x')('/etc/x')).toBe(true);
    expect(compileGlob('/var/cache')('/var/cache/apt/pkg')).toBe(true);
    expect(compileGlob('/dev/tty[0-9]')('/dev/tty7')).toBe(true);
    expect(compileGlob('f?[!a]')('/x/f1b')).toBe(true);
    expect(validateGlob('[9-0]')).toMatch(/not a valid pattern/);
  });
});

describe('event journal', () => {
  it('chains its lines, and the database row finds an edited, removed or truncated line', () => {
    const r = row();
    appendJournal(home, r, [{ type: 'baseline', by: 'ann', at: '2026-01-01T00:00:00Z', entries: 3, sha256: 'a'.repeat(64) }]);
    appendJournal(home, r, [
      { type: 'event', path: '/etc/a', kind: 'modified', attributes: ['mode'], old: { mode: '0644' }, new: { mode: '0600' }, reason: null, detected_at: '2026-01-02T00:00:00Z', source: 'check' },
      { type: 'event', path: '/etc/b', kind: 'added', attributes: [], old: null, new: {}, reason: null, detected_at: '2026-01-02T00:00:00Z', source: 'check' },
    ]);
    expect(readJournal(home, r).map((x) => x.seq)).toEqual([1, 2, 3]);
    const f = fimPath(home, 'events', r.events_file);
    const good = readFileSync(f, 'utf8');
    writeFileSync(f, good.replace('"0600"', '"0666"'));
    expect(() => readJournal(home, r)).toThrow(/breaks its hash chain at line 3/);
    writeFileSync(f, good.split('\n').slice(0, 2).join('\n') + '\n');
    expect(() => readJournal(home, r)).toThrow(/shorter than the .* recorded/);
    // A tail no saved state covers (a command died before saving) is dropped on the next append.
    writeFileSync(f, good);
    appendFileSync(f, '{"seq":4,"prev":"x","type":"event"}\n');
    expect(readJournal(home, r)).toHaveLength(3);
    appendJournal(home, r, [{ type: 'accept', path_glob: null, upto_seq: 3, by: 'ann', at: 'now', reason: 'ok', paths: 2 }]);
    expect(readJournal(home, r).map((x) => x.type)).toEqual(['baseline', 'event', 'event', 'accept']);
  });

  it('marks events accepted by the first acceptance whose glob and sequence cover them, or by a new baseline', () => {
    const r = row();
    const ev = (p: string) => ({ type: 'event' as const, path: p, kind: 'added' as const, attributes: [], old: null, new: {}, reason: null, detected_at: 'd', source: 'check' as const });
    appendJournal(home, r, [ev('/etc/ssl/a'), ev('/etc/hosts')]);
    appendJournal(home, r, [{ type: 'accept', path_glob: '/etc/ssl/**', upto_seq: 2, by: 'ann', at: 't1', reason: 'certs', paths: 1 }]);
    appendJournal(home, r, [ev('/etc/ssl/b')]);
    const folded = foldJournal(readJournal(home, r));
    expect(folded.map((e) => [e.path, e.accepted?.reason ?? null])).toEqual([['/etc/ssl/a', 'certs'], ['/etc/hosts', null], ['/etc/ssl/b', null]]);
    appendJournal(home, r, [{ type: 'baseline', by: 'bob', at: 't2', entries: 9, sha256: 'b'.repeat(64) }]);
    expect(foldJournal(readJournal(home, r)).map((e) => e.accepted?.by)).toEqual(['ann', 'bob', 'bob']);
  });
});

describe('drift to events', () => {
  const journalEvent = (d: DriftEntry, at: string): JournalLine => ({ type: 'event', at, baseline_sha256: 'a'.repeat(64), ...d });

  it('records a difference once, and again only when it changes', () => {
    const first = findingsToEvents(new Map(), { journal: [], found: [modified('/a', 'x')], baselineAt: '2026', now: 'n1' });
    expect(first.bodies.map((b) => b.path)).toEqual(['/a']);
    const previous = new Map(first.drift.map((d) => [d.path, d]));
    expect(findingsToEvents(previous, { journal: [], found: [modified('/a', 'x')], baselineAt: '2026', now: 'n2' }).bodies).toEqual([]);
    expect(findingsToEvents(previous, { journal: [], found: [modified('/a', 'y')], baselineAt: '2026', now: 'n3' }).bodies).toHaveLength(1);
  });

  it('takes scheduled findings first, in order, and does not repeat them when the check sees the same', () => {
    const scheduled = [journalEvent(modified('/a', 'x'), '2026-02-01'), journalEvent(addedEntry(file('/b', 'z'), attrs), '2025-12-31')];
    const f = findingsToEvents(new Map(), { journal: scheduled, found: [modified('/a', 'x'), removedEntry(file('/c', 'q'), attrs)], baselineAt: '2026-01-01', now: '2026-02-02' });
    // /b was journalled before the current baseline was taken: it is about a baseline that no longer exists
    expect(f.bodies.map((b) => [b.path, b.source, b.detected_at])).toEqual([['/a', 'schedule', '2026-02-01'], ['/c', 'check', '2026-02-02']]);
    expect(f.drift.map((d) => d.path)).toEqual(['/a', '/c']);
  });

  it('keeps the drift file beside the database, refusing one edited behind its back', () => {
    const r = row();
    expect(recordFindings(home, r, { journal: [], found: [modified('/a', 'x')], now: '2026-02-02' })).toBe(1);
    expect([...readDrift(home, r).keys()]).toEqual(['/a']);
    writeFileSync(fimPath(home, 'drift', r.drift_file!), '{}\n');
    expect(() => readDrift(home, r)).toThrow(/changed outside promanager/);
  });
});

describe('baseline rewrite', () => {
  it('applies accepted changes in one ordered pass', async () => {
    const old = path.join(home, 'old.gz');
    const w = new GzipLineWriter(old);
    for (const p of ['/etc', '/etc/a', '/etc/c', '/etc.d']) await w.write(JSON.stringify(file(p, 'v1')));
    await w.finish();
    w.commit();
    const changes = new Map<string, FimEntry | null>([['/etc/b', file('/etc/b', 'new')], ['/etc/c', null], ['/etc/a', file('/etc/a', 'v2')], ['/etc/z/y', file('/etc/z/y', 'n')]]);
    const r = await rewriteBaseline(home, old, changes);
    const entries: FimEntry[] = [];
    for await (const e of readEntries(r.temp)) entries.push(e);
    expect(entries.map((e) => `${e.path}=${e.sha256}`)).toEqual(['/etc=v1', '/etc/a=v2', '/etc/b=new', '/etc/z/y=n', '/etc.d=v1']);
    expect(r.entries).toBe(5);
    expect(await sha256OfFile(r.temp)).toBe(r.sha256);
  });
});

describe('policy options', () => {
  it('always records the type and rejects unknown attributes with a suggestion', () => {
    expect(parseAttributes(['sha256,mode'])).toEqual(['sha256', 'mode', 'type']);
    expect(() => parseAttributes(['sha265'])).toThrow(/unknown attribute 'sha265' \(did you mean sha256\?\)/);
    expect(parseSize('500M')).toBe(500 * 1024 ** 2);
    expect(parseSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(() => parseSize('lots')).toThrow(/not a size/);
    expect(humanBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});
