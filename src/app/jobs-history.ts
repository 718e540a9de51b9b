// `job history <name>`: the runs of a job per host, newest first (the last N per host), failures first on
// request. `--collect` first pulls the records of scheduled runs from the hosts (with their output), adding
// each record once however often it is collected.
import { rmSync } from 'node:fs';
import type { CollectResult } from '../agent/jobs-protocol.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { Job, JobRun, State } from '../store/schema.js';
import { requirePermission, visibleClusters } from './actor.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { outputPath, writeOutput } from './jobs-files.js';
import { appendRuns, runFailed, type NewRun } from './jobs-records.js';
import { auditedAttempt, stateHost } from './jobs-remote.js';
import { findJob, scheduledTargets, type CliTargets } from './jobs-targets.js';
import { beginRead } from './read.js';
import { runRemote, type RemoteRun } from './remote-run.js';

export interface HistoryRow {
  run_id: number;
  job_name: string;
  job_version: number;
  host: string;
  cluster_name: string | null;
  source: JobRun['source'];
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  ok: boolean;
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  error: string | null;
  output_bytes: number;
  truncated: boolean;
  /** absolute path of the kept output, or null */
  output_file: string | null;
}

export interface CollectedHost {
  new_runs: number;
  records: number;
}

export async function jobHistory(ctx: Context, name: string, opts: { last: number; failedFirst: boolean }): Promise<HistoryRow[]> {
  const { state, actor } = await beginRead(ctx);
  const job = findJob(state, name);
  if (job.cluster_id !== null) requirePermission(state, actor, 'read', [job.cluster_id], ctx.command);
  const allowed = visibleClusters(actor, 'read');
  const hosts = new Map(state.hosts.map((h) => [h.id, h]));
  const clusters = new Map(state.clusters.map((c) => [c.id, c.cluster_name]));
  const perHost = new Map<number, JobRun[]>();
  for (const run of state.job_runs) {
    if (run.job_id !== job.id) continue;
    const host = hosts.get(run.host_id);
    if (host && allowed !== 'all' && !allowed.has(host.cluster_id)) continue;
    let runs = perHost.get(run.host_id);
    if (!runs) perHost.set(run.host_id, (runs = []));
    runs.push(run);
  }
  const rows: HistoryRow[] = [];
  for (const [hostId, runs] of perHost) {
    const host = hosts.get(hostId);
    runs.sort((a, b) => b.started_at.localeCompare(a.started_at) || b.id - a.id);
    for (const run of runs.slice(0, opts.last)) {
      rows.push({
        run_id: run.id, job_name: job.job_name, job_version: run.job_version, host: host?.name ?? `#${hostId}`,
        cluster_name: host ? (clusters.get(host.cluster_id) ?? null) : null, source: run.source,
        started_at: run.started_at, ended_at: run.ended_at,
        duration_ms: run.ended_at ? Date.parse(run.ended_at) - Date.parse(run.started_at) : null,
        ok: !runFailed(run), exit_code: run.exit_code, signal: run.signal, timed_out: run.timed_out, error: run.error,
        output_bytes: run.output_bytes, truncated: run.truncated,
        output_file: run.output_file ? outputPath(ctx.store.home, run.output_file) : null,
      });
    }
  }
  return rows.sort((a, b) => (opts.failedFirst ? Number(a.ok) - Number(b.ok) : 0) || a.host.localeCompare(b.host) || b.started_at.localeCompare(a.started_at));
}

/** Record ids of scheduled runs the state already has, per host. */
function knownRecords(state: State, job: Job): Map<number, string[]> {
  const known = new Map<number, string[]>();
  for (const r of state.job_runs) {
    if (r.job_id !== job.id || r.host_record_id === null) continue;
    let ids = known.get(r.host_id);
    if (!ids) known.set(r.host_id, (ids = []));
    ids.push(r.host_record_id);
  }
  return known;
}

export async function collectHistory(ctx: Context, name: string, cli: CliTargets, hooks: {
  onEvent?(event: FanoutEvent<CollectedHost>, host: HostView): void;
} = {}): Promise<RemoteRun<CollectedHost>> {
  return auditedAttempt(ctx, [], async () => {
    const state = await ctx.store.read();
    const job = findJob(state, name);
    const known = knownRecords(state, job);
    const home = ctx.store.home;
    const fetched = new Map<number, NewRun[]>();
    return runRemote<CollectedHost>(ctx, {
      permission: 'read',
      targets: scheduledTargets(state, job, cli),
      // It changes the state (new history rows), so it is audited like any change.
      mutating: true,
      defaultTimeoutS: 120,
      work: async (session, host) => {
        const reply = await (await session.agent()).call<CollectResult>('job_collect', { job: job.job_name, known: known.get(host.id) ?? [] });
        const rows: NewRun[] = [];
        for (const record of reply.records) {
          const outputFile = await writeOutput(home, job.job_name, host.name, new Date(record.started_at), record.output);
          rows.push({
            job_id: job.id, job_version: record.version, host_id: host.id, source: 'schedule',
            started_at: record.started_at, ended_at: record.ended_at, exit_code: record.exit_code, signal: record.signal,
            timed_out: record.timed_out, error: null, host_record_id: record.id,
            output_file: outputFile, output_bytes: record.output_bytes, truncated: record.truncated,
          });
        }
        fetched.set(host.id, rows);
        return { new_runs: rows.length, records: reply.records.length };
      },
      onEvent: hooks.onEvent,
      persist: (fresh, outcomes, now) => {
        if (!fresh.jobs.some((j) => j.id === job.id)) return;
        const have = new Set(fresh.job_runs.filter((r) => r.job_id === job.id && r.host_record_id !== null).map((r) => `${r.host_id}:${r.host_record_id}`));
        const rows: NewRun[] = [];
        const duplicates: string[] = [];
        for (const o of outcomes) {
          const host = stateHost(fresh, o.host);
          for (const row of fetched.get(o.host.id) ?? []) {
            // Collected concurrently by another command, or the host is not in the state (-i): drop the copy.
            if (!host || have.has(`${host.id}:${row.host_record_id}`)) duplicates.push(row.output_file!);
            else rows.push({ ...row, host_id: host.id });
          }
        }
        appendRuns(fresh, home, rows, now);
        for (const file of duplicates) rmSync(outputPath(home, file), { force: true });
      },
    });
  });
}
