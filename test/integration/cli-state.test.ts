// The state store under abuse: broken files, concurrent writers, unwritable homes, audit tampering.
import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runOk, tempHome } from '../helpers/cli.js';

describe('state database', () => {
  it('refuses a truncated db.json with file and line:col, and never rewrites it', async () => {
    const home = tempHome();
    await runOk(['cluster', 'add', 'a'], { home });
    const db = path.join(home, 'db.json');
    const full = readFileSync(db, 'utf8');
    const truncated = full.slice(0, Math.floor(full.length / 2));
    writeFileSync(db, truncated);
    const r = await runCli(['cluster', 'add', 'b'], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${db} is not valid JSON`);
    expect(r.stderr).toMatch(new RegExp(`${db.replace(/[/.]/g, '\\$&')}:\\d+:\\d+`));
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace without --debug
    expect(readFileSync(db, 'utf8')).toBe(truncated);
    const list = await runCli(['host', 'list'], { home });
    expect(list.code).toBe(1);
  });

  it('names the path of a bad field', async () => {
    const home = tempHome();
    await runOk(['host', 'add', '10.1.0.1', '-c', 'x'], { home, env: {} }).catch(() => undefined);
    await runOk(['cluster', 'add', 'x'], { home });
    await runOk(['host', 'add', '10.1.0.1', '-c', 'x'], { home });
    const db = path.join(home, 'db.json');
    const state = JSON.parse(readFileSync(db, 'utf8')) as { hosts: Array<Record<string, unknown>> };
    state.hosts[0]!.cpu = 'many';
    const broken = JSON.stringify(state);
    writeFileSync(db, broken);
    const r = await runCli(['host', 'label', '10.1.0.1', 'a=b'], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does not match the expected schema');
    expect(r.stderr).toContain('hosts[0].cpu');
    expect(readFileSync(db, 'utf8')).toBe(broken);
  });

  it('refuses a database from a newer promanager', async () => {
    const home = tempHome();
    await runOk(['cluster', 'add', 'x'], { home });
    const db = path.join(home, 'db.json');
    const state = JSON.parse(readFileSync(db, 'utf8')) as Record<string, unknown>;
    state.schema_version = 99;
    writeFileSync(db, JSON.stringify(state));
    const r = await runCli(['cluster', 'list'], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('schema version 99');
  });

  it('lands all of 20 concurrent host adds', async () => {
    const home = tempHome();
    await runOk(['cluster', 'add', 'burst'], { home });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runCli(['host', 'add', `10.2.0.${i + 1}`, '-c', 'burst'], { home })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const hosts = JSON.parse((await runOk(['host', 'list', '--json'], { home })).stdout) as Array<{ ip: string; id: number }>;
    expect(hosts).toHaveLength(20);
    expect(new Set(hosts.map((h) => h.id)).size).toBe(20);
    const verify = JSON.parse((await runOk(['audit', '--verify', '--json'], { home })).stdout) as { ok: boolean; records: number };
    expect(verify).toEqual({ ok: true, records: 21, breaks: [] });
  });

  it('explains an unwritable state directory', async () => {
    const base = tempHome();
    const home = path.join(base, 'locked');
    mkdirSync(home);
    chmodSync(base, 0o755);
    chmodSync(home, 0o555);
    const r = await runCli(['cluster', 'add', 'x'], { home, runAs: 'nobody' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write to state directory ${home}`);
    expect(r.stderr).toContain('PROMANAGER_HOME');
    expect(existsSync(path.join(home, 'db.json'))).toBe(false);
  });
});

describe('audit log', () => {
  it('records every change with who, what, targets and result, and detects tampering', async () => {
    const home = tempHome();
    await runOk(['cluster', 'add', 'a'], { home });
    await runOk(['host', 'add', '10.3.0.1', '-c', 'a', '--name', 'h1'], { home });
    await runCli(['host', 'add', '10.3.0.1', '-c', 'a'], { home }); // fails: duplicate
    const records = JSON.parse((await runOk(['audit', '--json'], { home })).stdout) as Array<Record<string, unknown>>;
    expect(records.map((r) => [r.command, r.result])).toEqual([['cluster add', 'ok'], ['host add', 'ok'], ['host add', 'error']]);
    expect(records[1]).toMatchObject({ clusters: ['a'], hosts: ['h1'], exit_code: 0 });
    expect(records[2]!.message).toContain('already exists');
    expect((await runCli(['audit', '--since', 'yesterday-ish'], { home })).code).toBe(2);
    expect(JSON.parse((await runOk(['audit', '--json', '--since', '1h'], { home })).stdout)).toHaveLength(3);

    const file = path.join(home, 'audit.log');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const edited = JSON.parse(lines[1]!) as Record<string, unknown>;
    edited.who = 'mallory';
    writeFileSync(file, [lines[0], JSON.stringify(edited), lines[2]].join('\n') + '\n');
    const v = await runCli(['audit', '--verify'], { home });
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('line 2 (seq 2): hash does not match');

    writeFileSync(file, [lines[0], lines[2]].join('\n') + '\n');
    const removed = await runCli(['audit', '--verify', '--json'], { home });
    expect(removed.code).toBe(1);
    expect((JSON.parse(removed.stdout) as { breaks: Array<{ line: number }> }).breaks[0]!.line).toBe(2);
  });
});
