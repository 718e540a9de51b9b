import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendAudit, auditFile, readAudit, verifyChain, type AuditEntry } from '../../src/store/audit.js';

const entry = (command: string): AuditEntry => ({ who: 'alice', as: null, command, args: [], clusters: [], hosts: [], result: 'ok', exit_code: 0, message: null });

describe('audit chain', () => {
  it('chains records and finds edits, removals and reordering', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pm-audit-'));
    for (const c of ['a', 'b', 'c', 'd']) await appendAudit(home, entry(c), new Date());
    const records = await readAudit(home);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(verifyChain(records)).toEqual([]);
    const lines = readFileSync(auditFile(home), 'utf8').trimEnd().split('\n');
    writeFileSync(auditFile(home), [lines[0], lines[2], lines[1], lines[3]].join('\n') + '\n');
    const reordered = verifyChain(await readAudit(home));
    expect(reordered[0]!.line).toBe(2);
    writeFileSync(auditFile(home), [lines[0], lines[1], 'not json', lines[3]].join('\n') + '\n');
    expect(verifyChain(await readAudit(home)).some((b) => b.line === 3 && b.reason.includes('not valid JSON'))).toBe(true);
  });
  it('keeps chaining past a large log by reading only its tail', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pm-audit-'));
    const big = { ...entry('x'), message: 'm'.repeat(20_000) };
    await appendAudit(home, big, new Date());
    await appendAudit(home, big, new Date());
    await appendAudit(home, entry('y'), new Date());
    expect(verifyChain(await readAudit(home))).toEqual([]);
  });
});
