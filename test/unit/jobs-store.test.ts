// What jobs leave on a host, in a temporary agent directory: content-addressed scripts, scheduled-run records
// (the last N kept), collection of the records the controller lacks, and the textfile metrics of a cron run.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptRun } from '../../src/agent/jobs-runner.js';
import { jobMetrics, runScheduled } from '../../src/agent/jobs-scheduled.js';
import { keptOutput, type JobSpec } from '../../src/agent/jobs-protocol.js';
import { collectRecords, jobDir, recordRun, stageScript, writeJobFile, type ScheduledJob } from '../../src/agent/jobs-store.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'pm-jobs-store-'));
const saved = { base: process.env.PROMANAGER_AGENT_BASE, textfile: process.env.PROMANAGER_TEXTFILE_DIR };
beforeAll(() => {
  process.env.PROMANAGER_AGENT_BASE = base;
  process.env.PROMANAGER_TEXTFILE_DIR = path.join(base, 'textfile');
});
afterAll(() => {
  for (const [key, value] of [['PROMANAGER_AGENT_BASE', saved.base], ['PROMANAGER_TEXTFILE_DIR', saved.textfile]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(base, { recursive: true, force: true });
});

const body = 'echo hello from cron\n';
const sha = createHash('sha256').update(body).digest('hex');
const spec: JobSpec = { job: 'nightly', version: 4, script_sha256: sha, interpreter: '/bin/sh', args: [], env: {}, timeout_s: 10, run_as: null, max_output_bytes: 4096 };

function fakeRun(startMs: number, exit: number | null, over: Partial<ScriptRun> = {}): ScriptRun {
  return {
    started_at: new Date(startMs).toISOString(), ended_at: new Date(startMs + 1500).toISOString(), duration_ms: 1500,
    exit_code: exit, signal: null, timed_out: false, output_bytes: 3, truncated: false, tail: '', head: 'ok\n', ...over,
  };
}

describe('scripts on the host', () => {
  it('are stored by content hash, checked rather than trusted by name', () => {
    expect(stageScript({ sha256: sha })).toEqual({ present: false, path: path.join(base, 'scripts', sha) });
    expect(() => stageScript({ sha256: sha, content: Buffer.from('tampered').toString('base64') })).toThrow(/sha256/);
    expect(stageScript({ sha256: sha, content: Buffer.from(body).toString('base64') }).present).toBe(true);
    expect(stageScript({ sha256: sha }).present).toBe(true);
    writeFileSync(path.join(base, 'scripts', sha), 'corrupted');
    expect(stageScript({ sha256: sha }).present).toBe(false);
    stageScript({ sha256: sha, content: Buffer.from(body).toString('base64') });
    expect(() => stageScript({ sha256: '../../etc/passwd' })).toThrow(/not a sha256/);
  });
});

describe('scheduled-run records', () => {
  const job: ScheduledJob = { spec: { ...spec, job: 'records' }, schedule: '* * * * *', keep_runs: 3, script_path: '', textfile_dir: null };
  const dir = () => jobDir('records');

  it('keep the last N runs, each with its log', () => {
    for (let i = 0; i < 5; i++) recordRun(dir(), job, fakeRun(1_700_000_000_000 + i * 60_000, i === 3 ? 1 : 0));
    const files = readdirSync(path.join(dir(), 'runs')).sort();
    expect(files).toHaveLength(6);
    expect(files.filter((f) => f.endsWith('.json')).map((f) => f.split('-')[0])).toEqual(['1700000120000', '1700000180000', '1700000240000']);
    // the last success outlives pruning
    expect(JSON.parse(readFileSync(path.join(dir(), 'status.json'), 'utf8'))).toEqual({ last_success_at: new Date(1_700_000_240_000 + 1500).toISOString() });
  });

  it('are collected once: the controller names the ones it has', () => {
    const all = collectRecords('records', []).records;
    expect(all.map((r) => [r.version, r.exit_code, r.output])).toEqual([[4, 0, 'ok\n'], [4, 1, 'ok\n'], [4, 0, 'ok\n']]);
    const rest = collectRecords('records', [all[0]!.id, all[1]!.id]).records;
    expect(rest.map((r) => r.id)).toEqual([all[2]!.id]);
    expect(collectRecords('never-scheduled', []).records).toEqual([]);
  });

  it('keep the head and the tail of capped output with a note of what was left out', () => {
    const kept = keptOutput({ head: 'HEAD', tail: 'TAIL', truncated: true, output_bytes: 100 });
    expect(kept).toBe('HEAD\n[promanager: output capped, 92 bytes left out of 100; the last 4 follow]\nTAIL');
    expect(keptOutput({ head: 'all', tail: '', truncated: false, output_bytes: 3 })).toBe('all');
  });
});

describe('a cron tick (job-cron mode)', () => {
  it('runs the scheduled version, records it and publishes the textfile metrics', async () => {
    const scheduled: ScheduledJob = { spec, schedule: '* * * * *', keep_runs: 5, script_path: path.join(base, 'scripts', sha), textfile_dir: null };
    writeJobFile(scheduled);
    expect(await runScheduled([jobDir('nightly')])).toBe(0);
    const [record] = collectRecords('nightly', []).records;
    expect(record).toMatchObject({ job: 'nightly', version: 4, script_sha256: sha, exit_code: 0, timed_out: false, output: 'hello from cron\n' });
    const metrics = readFileSync(path.join(base, 'textfile', 'promanager_job_nightly.prom'), 'utf8');
    expect(metrics).toContain('promanager_job_last_exit_code{job="nightly"} 0\n');
    expect(metrics).toMatch(/promanager_job_last_success_timestamp_seconds\{job="nightly"\} 1\d{9}(\.\d+)?\n/);
    expect(metrics).toMatch(/promanager_job_duration_seconds\{job="nightly"\} \d+(\.\d+)?\n/);
    expect(metrics).toContain('# TYPE promanager_job_last_exit_code gauge\n');
  });

  it("writes the metrics into the host's node_exporter directory when the job names one", async () => {
    const own = path.join(base, 'node-exporter-textfile');
    writeJobFile({ spec: { ...spec, job: 'elsewhere' }, schedule: '@daily', keep_runs: 5, script_path: path.join(base, 'scripts', sha), textfile_dir: own });
    expect(await runScheduled([jobDir('elsewhere')])).toBe(0);
    expect(readFileSync(path.join(own, 'promanager_job_elsewhere.prom'), 'utf8')).toContain('promanager_job_last_exit_code{job="elsewhere"} 0\n');
    expect(readdirSync(path.join(base, 'textfile'))).not.toContain('promanager_job_elsewhere.prom');
    expect(process.env.PROMANAGER_TEXTFILE_DIR).toBe(path.join(base, 'textfile'));
  });

  it('reports a killed run as -1 and keeps the previous success time', () => {
    const text = jobMetrics('x', { exit_code: null, timed_out: true, duration_ms: 2500, ended_at: '2024-01-01T00:00:10.000Z' }, '2023-12-31T00:00:00.000Z');
    expect(text).toContain('promanager_job_last_exit_code{job="x"} -1\n');
    expect(text).toContain('promanager_job_last_success_timestamp_seconds{job="x"} 1703980800\n');
    expect(text).toContain('promanager_job_duration_seconds{job="x"} 2.5\n');
    expect(jobMetrics('x', { exit_code: 2, timed_out: false, duration_ms: 1, ended_at: '2024-01-01T00:00:00.000Z' }, null)).toContain('promanager_job_last_success_timestamp_seconds{job="x"} 0\n');
  });
});
