// The host side of FIM on a real temporary tree: walking, hashing, baselines and checks.
import { chmodSync, lstatSync, type BigIntStats, mkdirSync, readlinkSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIM_ATTRIBUTES, comparePaths, entryLine, entryType, isoNs, type DriftEntry, type FimAttribute, type FimEntry, type FimPolicySpec } from '../../src/agent/fim-entry.js';
import { checkAgainst, takeBaseline } from '../../src/agent/fim-run.js';
import { linePath, readEntries } from '../../src/agent/fim-lines.js';
import { sameLine } from '../../src/agent/fim-scan.js';
import { entryOf } from '../../src/agent/fim-list.js';
import { walk, walkRoots, type WalkItem, type WalkReport } from '../../src/agent/fim-walk.js';

let dir: string;
const spec = (over: Partial<FimPolicySpec> = {}): FimPolicySpec => ({
  name: 'test', paths: [path.join(dir, 'tree')], excludes: [], max_depth: null, attributes: [...FIM_ATTRIBUTES],
  follow_symlinks: false, max_files: 1000, max_bytes: 1 << 30, ...over,
});
const t = (rel: string) => path.join(dir, 'tree', rel);
const newReport = (): WalkReport => ({ missing_paths: [], skipped_pseudo: [], files: 0, bytes: 0 });
async function walked(s: FimPolicySpec, report = newReport()): Promise<WalkItem[]> {
  return [...walk(s, report)];
}

async function baseline(s = spec()) {
  const file = path.join(dir, 'baseline.gz');
  const unknown: string[] = [];
  const outcome = await takeBaseline(s, file, { keep: true, onUnknown: (p, r) => unknown.push(`${p}: ${r}`) });
  return { file, outcome, unknown };
}

async function check(file: string, s = spec(), full = false) {
  const drift: DriftEntry[] = [];
  const outcome = await checkAgainst(s, file, full, (d) => void drift.push(d));
  const byPath = Object.fromEntries(drift.map((d) => [d.path.slice(dir.length + 5), d]));
  return { outcome, drift, byPath };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pm-fim-unit-'));
  mkdirSync(t('etc/ssl'), { recursive: true });
  mkdirSync(t('logs'), { recursive: true });
  writeFileSync(t('etc/passwd'), 'root:x:0:0\n');
  writeFileSync(t('etc/hosts'), '127.0.0.1 localhost\n');
  writeFileSync(t('etc/ssl/key.pem'), 'secret');
  writeFileSync(t('etc.d'), 'sorts after etc/');
  writeFileSync(t('logs/app.log'), 'log');
  symlinkSync('etc/hosts', t('hosts-link'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('path order', () => {
  it('puts a directory right before its contents, as a depth-first walk with sorted names does', () => {
    const paths = ['/a.b', '/a/z', '/a', '/a-c', '/a/b/c', '/'];
    expect([...paths].sort(comparePaths)).toEqual(['/', '/a', '/a/b/c', '/a/z', '/a-c', '/a.b']);
  });

  it('drops policy paths inside another one and normalises trailing slashes', () => {
    expect(walkRoots(['/etc/ssl/', '/etc', '/var//log', '/etc-x'])).toEqual(['/etc', '/etc-x', '/var/log']);
    expect(walkRoots(['/', '/etc'])).toEqual(['/']);
  });
});

describe('walk', () => {
  const rel = (items: WalkItem[]) => items.map((w) => w.path.slice(dir.length + 5));

  it('walks in baseline order with lstat semantics, excludes and depth', async () => {
    const paths = rel(await walked(spec({ excludes: ['*.log'] })));
    expect(paths).toEqual(['', '/etc', '/etc/hosts', '/etc/passwd', '/etc/ssl', '/etc/ssl/key.pem', '/etc.d', '/hosts-link', '/logs']);
    expect([...paths].sort(comparePaths)).toEqual(paths);
    expect(rel(await walked(spec({ max_depth: 1 })))).toEqual(['', '/etc', '/etc.d', '/hosts-link', '/logs']);
    expect(rel(await walked(spec({ excludes: [t('etc')] })))).toEqual(['', '/etc.d', '/hosts-link', '/logs', '/logs/app.log']);
  });

  it('reports a missing policy path and never enters /proc, /sys or /dev unless named', async () => {
    const report = newReport();
    const items = await walked(spec({ paths: ['/', path.join(dir, 'nope')], max_depth: 1, max_files: 10_000 }), report);
    expect(items.some((w) => w.path === '/proc' || w.path === '/sys' || w.path === '/dev')).toBe(false);
    expect(report.skipped_pseudo).toEqual(expect.arrayContaining(['/proc', '/sys', '/dev']));
    expect((await walked(spec({ paths: ['/proc/self/status'] }))).map((w) => w.path)).toEqual(['/proc/self/status']);
    const missing = newReport();
    expect(await walked(spec({ paths: [path.join(dir, 'nope')] }), missing)).toEqual([]);
    expect(missing.missing_paths).toEqual([path.join(dir, 'nope')]);
  });

  it('stops with a limit report instead of truncating', async () => {
    await expect(walked(spec({ max_files: 3 }))).rejects.toThrow(/file limit reached: more than 3 files/);
    await expect(walked(spec({ max_bytes: 20 }))).rejects.toThrow(/byte limit reached: more than 20 bytes/);
  });

  it('follows symlinks only when asked, and not round a loop', async () => {
    symlinkSync('..', t('etc/ssl/up'));
    const lstat = (await walked(spec())).find((w) => w.path === t('etc/ssl/up'))!;
    expect(entryOf(lstat)).toMatchObject({ type: 'symlink', target: '..' });
    const up = (await walked(spec({ follow_symlinks: true }))).find((w) => w.path === t('etc/ssl/up'))!;
    expect(entryOf(up)).toMatchObject({ type: 'dir', target: '..' });
    expect(up.listError).toMatch(/symlink loop/);
  });
});

describe('baseline and check', () => {
  it('records every attribute, in order, and hashes content', async () => {
    const { file, outcome } = await baseline();
    expect(outcome).toMatchObject({ entries: 10, unknown: 0, limit: null });
    const entries = [];
    for await (const e of readEntries(file)) entries.push(e);
    expect(entries.map((e) => e.path)).toEqual([...entries.map((e) => e.path)].sort(comparePaths));
    const passwd = entries.find((e) => e.path === t('etc/passwd'))!;
    expect(passwd).toMatchObject({ type: 'file', size: 11, mode: '0644', uid: process.getuid!(), sha256: createHash('sha256').update('root:x:0:0\n').digest('hex'), target: null });
    expect(passwd.mtime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(entries.find((e) => e.path === t('hosts-link'))).toMatchObject({ type: 'symlink', target: 'etc/hosts', sha256: null });
    expect(entries.find((e) => e.path === t('etc'))).toMatchObject({ type: 'dir', size: null });
  });

  it('finds nothing when nothing changed, without rehashing in the default mode', async () => {
    const { file } = await baseline();
    const quick = await check(file);
    expect(quick.drift).toEqual([]);
    expect(quick.outcome.report.hashed_files).toBe(0);
    const full = await check(file, spec(), true);
    expect(full.drift).toEqual([]);
    expect(full.outcome.report.hashed_files).toBe(5);
  });

  it('reports added, removed and modified paths with the attributes that changed', async () => {
    const { file } = await baseline();
    writeFileSync(t('etc/passwd'), 'root:x:0:0\nmallory:x:0:0\n');
    writeFileSync(t('etc/new'), 'new');
    unlinkSync(t('etc/ssl/key.pem'));
    chmodSync(t('etc/hosts'), 0o600);
    unlinkSync(t('etc.d'));
    symlinkSync('/etc/shadow', t('etc.d'));
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(t('logs/app.log'), old, old);
    const { byPath, outcome } = await check(file);
    expect(outcome).toMatchObject({ added: 1, removed: 1, unknown: 0 });
    expect(byPath['/etc/passwd']).toMatchObject({ kind: 'modified', attributes: expect.arrayContaining(['sha256', 'size', 'mtime', 'ctime']) });
    expect(byPath['/etc/passwd']!.new!.size).toBe(25);
    expect(byPath['/etc/new']).toMatchObject({ kind: 'added', old: null });
    expect(byPath['/etc/ssl/key.pem']).toMatchObject({ kind: 'removed', new: null });
    expect(byPath['/etc/hosts']).toMatchObject({ kind: 'modified', attributes: ['mode', 'ctime'], old: { mode: '0644' }, new: { mode: '0600' } });
    expect(byPath['/etc.d']).toMatchObject({ kind: 'modified', new: { type: 'symlink', target: '/etc/shadow', sha256: null } });
    expect(byPath['/logs/app.log']).toMatchObject({ kind: 'modified', attributes: ['mtime', 'ctime'], new: { mtime: '2020-01-01T00:00:00.000000000Z' } });
  });

  it('catches content changed behind a restored mtime, because ctime moves', async () => {
    const before = new Date('2021-06-01T00:00:00Z');
    utimesSync(t('etc/hosts'), before, before);
    const { file } = await baseline();
    writeFileSync(t('etc/hosts'), '127.0.0.2 localhost\n');
    utimesSync(t('etc/hosts'), before, before);
    const { byPath, outcome } = await check(file);
    expect(byPath['/etc/hosts']).toMatchObject({ kind: 'modified', attributes: ['sha256', 'ctime'] });
    expect(outcome.report.hashed_files).toBe(1);
  });

  it('reports an unreadable file as unknown with the reason, never as unchanged', async () => {
    if (process.getuid!() === 0) {
      // root reads everything; the non-root case runs against a real host in test/integration/fim.test.ts
      const s = spec({ paths: [t('etc'), '/proc/1/mem'] });
      const { outcome, unknown } = await baseline(s);
      expect(outcome.unknown).toBe(1);
      expect(unknown[0]).toMatch(/^\/proc\/1\/mem: /);
      return;
    }
    chmodSync(t('etc/passwd'), 0o000);
    const { outcome, unknown } = await baseline();
    expect(outcome.unknown).toBe(1);
    expect(unknown).toEqual([`${t('etc/passwd')}: EACCES: permission denied`]);
  });
});

describe('comparing as text', () => {
  const hash = 'a'.repeat(64);
  const found = '{"path":"/x","type":"file","sha256":null,"size":3,"mtime":"t1"}';
  const recorded = `{"path":"/x","type":"file","sha256":"${hash}","size":3,"mtime":"t1"}`;

  it('matches a line equal but for the recorded hash only when rehashing may be skipped', () => {
    expect(sameLine(found, recorded, true)).toBe(true);
    expect(sameLine(found, recorded, false)).toBe(false);
    expect(sameLine(found, recorded.replace('"size":3', '"size":4'), true)).toBe(false);
    expect(sameLine(found, recorded.replace('"t1"', '"t2"'), true)).toBe(false);
    expect(sameLine(found, `{"path":"/x","type":"file","sha256":null,"size":3,"mtime":"t1","error":"EACCES"}`, true)).toBe(false);
    const dir = '{"path":"/d","type":"dir","sha256":null,"size":null}';
    expect(sameLine(dir, dir, false)).toBe(true);
  });

  it('reads the path of a line without parsing it, unless it is escaped', () => {
    expect(linePath('{"path":"/etc/hosts","type":"file"}')).toBe('/etc/hosts');
    expect(linePath(JSON.stringify({ path: '/a"b', type: 'file' }))).toBeNull();
    expect(linePath(JSON.stringify({ path: '/a\\b', type: 'file' }))).toBeNull();
    expect(linePath('{"type":"file","path":"/x"}')).toBeNull();
  });

  it('checks names that JSON escapes, and lines written in another key order, the long way', async () => {
    for (const name of ['quote"d', 'back\\slash', 'new\nline', 'tab\there']) writeFileSync(t(`etc/${name}`), name);
    const { file } = await baseline();
    expect((await check(file)).drift).toEqual([]);
    writeFileSync(t('etc/quote"d'), 'changed');
    expect(Object.keys((await check(file)).byPath)).toEqual(['/etc/quote"d']);

    // Same entries, keys reversed (as another writer might keep them): still no drift, and nothing rehashed.
    const lines: string[] = [];
    for await (const e of readEntries(file)) lines.push(JSON.stringify(Object.fromEntries(Object.entries(e).reverse())));
    const reordered = path.join(dir, 'reordered.gz');
    writeFileSync(reordered, gzipSync(lines.join('\n') + '\n'));
    const again = await check(reordered);
    expect(again.drift.map((d) => d.path)).toEqual([t('etc/quote"d')]);
    expect(again.outcome.report.hashed_files).toBe(1);
  });
});

describe('timestamps', () => {
  // The reference: plain BigInt arithmetic (isoNs takes a faster way for the common range).
  const reference = (ns: bigint): string => {
    const s = ns >= 0n ? ns / 1_000_000_000n : (ns - 999_999_999n) / 1_000_000_000n;
    return `${new Date(Number(s) * 1000).toISOString().slice(0, 19)}.${(ns - s * 1_000_000_000n).toString().padStart(9, '0')}Z`;
  };

  it('formats nanosecond times exactly, across the ranges and in any order', () => {
    const samples = [0n, 1n, -1n, -1_000_000_001n, 999_999_999_999_999_999n, 1_000_000_000_000_000_000n, 1_700_000_000_123_456_789n,
      1_700_000_000_000_000_001n, 1_700_000_001_000_000_000n, 9_999_999_999_999_999_999n, 10_000_000_000_000_000_000n, 1_700_000_000_123_456_789n, 5n];
    for (const ns of samples) expect(isoNs(ns)).toBe(reference(ns));
  });
});

/** The entry as an object, built field by field: what entryLine must serialise to, byte for byte. */
function entryFromStats(file: string, stats: BigIntStats, wanted: ReadonlySet<FimAttribute>, linkTarget: string | null): FimEntry {
  const type = entryType(Number(stats.mode));
  const entry: FimEntry = { path: file, type };
  if (wanted.has('sha256')) entry.sha256 = null;
  if (wanted.has('size')) entry.size = type === 'dir' ? null : Number(stats.size);
  if (wanted.has('mode')) entry.mode = (Number(stats.mode) & 0o7777).toString(8).padStart(4, '0');
  if (wanted.has('uid')) entry.uid = Number(stats.uid);
  if (wanted.has('gid')) entry.gid = Number(stats.gid);
  if (wanted.has('mtime')) entry.mtime = isoNs(stats.mtimeNs);
  if (wanted.has('ctime')) entry.ctime = isoNs(stats.ctimeNs);
  if (wanted.has('inode')) entry.inode = stats.ino.toString();
  if (wanted.has('target')) entry.target = linkTarget;
  return entry;
}

describe('entry lines', () => {
  it('are exactly JSON.stringify of the entry, for every type, odd names and any attribute set', () => {
    writeFileSync(t('etc/we"ird\\name\n'), 'x');
    symlinkSync('tar"get\\', t('etc/odd-link'));
    const paths = [t('etc'), t('etc/passwd'), t('hosts-link'), t('etc/we"ird\\name\n'), t('etc/odd-link'), '/dev/null'];
    const sets: FimAttribute[][] = [[...FIM_ATTRIBUTES], ['type'], ['sha256', 'size'], ['mtime', 'target', 'inode']];
    for (const attributes of sets) {
      const wanted = new Set(attributes);
      for (const p of paths) {
        const stats = lstatSync(p, { bigint: true });
        const target = stats.isSymbolicLink() ? readlinkSync(p) : null;
        expect(entryLine(p, stats, wanted, target)).toBe(JSON.stringify(entryFromStats(p, stats, wanted, target)));
      }
    }
  });
});
