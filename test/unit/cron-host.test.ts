// The host side of scheduling: cron entries that touch only our own lines, and textfile metrics, against a
// temporary directory and an in-memory crontab (the real cron daemon is exercised by the integration tests).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cronAvailable, cronFileName, installCronEntry, removeCronEntry, type CronSystem } from '../../src/agent/cron.js';
import { gauge, removeTextfileMetrics, textfileDir, writeTextfileMetrics } from '../../src/agent/textfile.js';

interface FakeCron extends CronSystem {
  table: string | null;
  writes: number;
}

function fakeSystem(dir: string, root: boolean, opts: { crontabMissing?: boolean; daemon?: boolean } = {}): FakeCron {
  const daemon = path.join(dir, 'cron');
  if (opts.daemon !== false) {
    writeFileSync(daemon, '#!/bin/sh\n');
    chmodSync(daemon, 0o755);
  }
  const cronDir = path.join(dir, 'cron.d');
  mkdirSync(cronDir, { recursive: true });
  const system: FakeCron = {
    root, userName: 'ops', cronDir, daemonPaths: [daemon], table: null, writes: 0,
    daemonRunning: () => true,
    crontab(args, input) {
      if (opts.crontabMissing) return { status: null, stdout: '', stderr: '', missing: true };
      if (args[0] === '-l') return system.table === null ? { status: 1, stdout: '', stderr: 'no crontab for ops\n', missing: false } : { status: 0, stdout: system.table, stderr: '', missing: false };
      system.writes++;
      if (args[0] === '-r') system.table = null;
      else system.table = input ?? '';
      return { status: 0, stdout: '', stderr: '', missing: false };
    },
  };
  return system;
}

let dir: string;
let umask: number;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pm-cron-unit-'));
  umask = process.umask(0o077); // as the agent runs (the bootstrap sets it)
});
afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('cron entries as root (/etc/cron.d)', () => {
  it('writes one file per entry with the root user field, mode 0644, atomically and idempotently', () => {
    const sys = fakeSystem(dir, true);
    const entry = { id: 'job-backup', schedule: '*/5 * * * *', command: '/usr/bin/flock -n /x/lock /usr/bin/node /a.cjs job-cron /x 50%' };
    const first = installCronEntry(entry, sys);
    const file = path.join(sys.cronDir, 'promanager-job-backup');
    expect(first).toEqual({ changed: true, where: file });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('\n*/5 * * * * root /usr/bin/flock -n /x/lock /usr/bin/node /a.cjs job-cron /x 50\\%\n');
    expect(text.startsWith('# promanager:job-backup')).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(installCronEntry(entry, sys).changed).toBe(false);
    expect(installCronEntry({ ...entry, schedule: '@hourly' }, sys).changed).toBe(true);
    expect(readdirSync(sys.cronDir)).toEqual(['promanager-job-backup']); // no temporary files left
  });

  it('names files the way cron accepts them, keeping distinct ids distinct', () => {
    expect(cronFileName('job-db.backup')).toBe('promanager-job-db_dbackup');
    expect(cronFileName('job-db_dbackup')).toBe('promanager-job-db__dbackup');
    expect(cronFileName('fim-etc')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(() => cronFileName('../etc/passwd')).toThrow(/must be made of/);
  });

  it('removes only its own file', () => {
    const sys = fakeSystem(dir, true);
    writeFileSync(path.join(sys.cronDir, 'other'), '* * * * * root true\n');
    installCronEntry({ id: 'fim-etc', schedule: '@daily', command: 'true' }, sys);
    expect(removeCronEntry('fim-etc', sys).changed).toBe(true);
    expect(removeCronEntry('fim-etc', sys).changed).toBe(false);
    expect(readdirSync(sys.cronDir)).toEqual(['other']);
  });

  it('refuses multi-line commands and malformed schedules', () => {
    const sys = fakeSystem(dir, true);
    expect(() => installCronEntry({ id: 'job-x', schedule: '* * * * *', command: 'true\n* * * * * root evil' }, sys)).toThrow(/one non-empty line/);
    expect(() => installCronEntry({ id: 'job-x', schedule: '* * *', command: 'true' }, sys)).toThrow(/five fields/);
  });
});

describe("cron entries as a user (the user's crontab, between markers)", () => {
  const foreign = 'MAILTO=ops@example.com\n# nightly report\n0 6 * * * /home/ops/report.sh  --all\n';

  it('adds a marked block and leaves every other line byte for byte', () => {
    const sys = fakeSystem(dir, false);
    sys.table = foreign;
    expect(installCronEntry({ id: 'job-a', schedule: '* * * * *', command: 'run a' }, sys)).toEqual({ changed: true, where: 'crontab of ops' });
    expect(sys.table).toBe(`${foreign}# promanager:job-a begin\n* * * * * run a\n# promanager:job-a end\n`);
    installCronEntry({ id: 'job-b', schedule: '@daily', command: 'run b' }, sys);
    // a changed entry stays where it was
    installCronEntry({ id: 'job-a', schedule: '*/2 * * * *', command: 'run a' }, sys);
    expect(sys.table).toBe(`${foreign}# promanager:job-a begin\n*/2 * * * * run a\n# promanager:job-a end\n# promanager:job-b begin\n@daily run b\n# promanager:job-b end\n`);
  });

  it('does not rewrite the crontab when nothing changed', () => {
    const sys = fakeSystem(dir, false);
    installCronEntry({ id: 'job-a', schedule: '* * * * *', command: 'run a' }, sys);
    const writes = sys.writes;
    expect(installCronEntry({ id: 'job-a', schedule: '* * * * *', command: 'run a' }, sys).changed).toBe(false);
    expect(sys.writes).toBe(writes);
  });

  it('removes only its block, and the crontab itself when nothing else is left', () => {
    const sys = fakeSystem(dir, false);
    sys.table = foreign;
    installCronEntry({ id: 'job-a', schedule: '* * * * *', command: 'run a' }, sys);
    expect(removeCronEntry('job-a', sys).changed).toBe(true);
    expect(sys.table).toBe(foreign);
    expect(removeCronEntry('job-a', sys).changed).toBe(false);
    sys.table = null;
    installCronEntry({ id: 'job-a', schedule: '* * * * *', command: 'run a' }, sys);
    removeCronEntry('job-a', sys);
    expect(sys.table).toBeNull();
  });

  it('refuses to guess around a broken marker pair', () => {
    const sys = fakeSystem(dir, false);
    sys.table = '# promanager:job-a begin\n* * * * * run a\n';
    expect(() => installCronEntry({ id: 'job-a', schedule: '* * * * *', command: 'run a' }, sys)).toThrow(/without '# promanager:job-a end'; fix it with crontab -e/);
    expect(() => removeCronEntry('job-a', sys)).toThrow(/without/);
  });
});

describe('cronAvailable', () => {
  it('names the package to install when there is no cron daemon', () => {
    const r = cronAvailable(fakeSystem(dir, true, { daemon: false }));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/no cron daemon on this host .*install the Debian package 'cron' \(apt-get install cron\)/);
  });
  it('needs crontab(1) for a user', () => {
    const r = cronAvailable(fakeSystem(dir, false, { crontabMissing: true }));
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/crontab\(1\) is missing: install the Debian package 'cron'/) });
  });
  it('accepts a daemon plus /etc/cron.d (root) or a crontab with no table yet (user)', () => {
    expect(cronAvailable(fakeSystem(dir, true))).toEqual({ ok: true, daemonRunning: true });
    expect(cronAvailable(fakeSystem(dir, false)).ok).toBe(true);
  });
});

describe('textfile metrics', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.PROMANAGER_TEXTFILE_DIR;
    process.env.PROMANAGER_TEXTFILE_DIR = path.join(dir, 'textfile');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.PROMANAGER_TEXTFILE_DIR;
    else process.env.PROMANAGER_TEXTFILE_DIR = saved;
  });

  it('replaces <dir>/<name>.prom atomically, readable by node_exporter, with no temporary file left', () => {
    const body = gauge('promanager_job_last_exit_code', 'Exit code of the last run.', [{ labels: { job: 'a"b\\c' }, value: 3 }]);
    expect(body).toBe('# HELP promanager_job_last_exit_code Exit code of the last run.\n# TYPE promanager_job_last_exit_code gauge\npromanager_job_last_exit_code{job="a\\"b\\\\c"} 3\n');
    const file = writeTextfileMetrics('promanager_job_a', body);
    expect(file).toBe(path.join(textfileDir(), 'promanager_job_a.prom'));
    expect(readFileSync(file, 'utf8')).toBe(body);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(statSync(textfileDir()).mode & 0o777).toBe(0o755);
    writeTextfileMetrics('promanager_job_a', 'x 1');
    expect(readFileSync(file, 'utf8')).toBe('x 1\n');
    expect(readdirSync(textfileDir())).toEqual(['promanager_job_a.prom']);
    expect(removeTextfileMetrics('promanager_job_a')).toBe(true);
    expect(removeTextfileMetrics('promanager_job_a')).toBe(false);
  });

  it('refuses names that would leave the directory or hide the file', () => {
    expect(() => writeTextfileMetrics('../x', 'x 1')).toThrow(/must be made of/);
    expect(() => writeTextfileMetrics('.hidden', 'x 1')).toThrow(/must be made of/);
  });
});
