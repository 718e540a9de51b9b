// The job_runs table: appending runs (from `job run` and from collected scheduled runs) and keeping it bounded,
// so the database stays small however long a job has been running every minute.
import { rmSync } from 'node:fs';
import { nextId } from '../store/fleet.js';
import type { JobRun, State } from '../store/schema.js';
import { outputPath } from './jobs-files.js';

/** Runs kept per job per host on the controller; older ones go, with their output files. */
export const HISTORY_KEEP = 200;

export type NewRun = Omit<JobRun, 'id' | 'create_at' | 'update_at'>;

/** Appends runs and prunes the oldest beyond HISTORY_KEEP for each job and host they touched. */
export function appendRuns(state: State, home: string, runs: NewRun[], now: string): JobRun[] {
  const added: JobRun[] = [];
  for (const run of runs) {
    const row: JobRun = { id: nextId(state.job_runs), ...run, create_at: now, update_at: now };
    state.job_runs.push(row);
    added.push(row);
  }
  const touched = new Set(runs.map((r) => `${r.job_id}:${r.host_id}`));
  const byKey = new Map<string, JobRun[]>();
  for (const r of state.job_runs) {
    const key = `${r.job_id}:${r.host_id}`;
    if (!touched.has(key)) continue;
    let rows = byKey.get(key);
    if (!rows) byKey.set(key, (rows = []));
    rows.push(r);
  }
  const drop = new Set<number>();
  for (const rows of byKey.values()) {
    if (rows.length <= HISTORY_KEEP) continue;
    rows.sort((a, b) => a.started_at.localeCompare(b.started_at) || a.id - b.id);
    for (const r of rows.slice(0, rows.length - HISTORY_KEEP)) {
      drop.add(r.id);
      // Inside the state lock (persist runs under it); an output file is only ever referenced by its run.
      if (r.output_file) rmSync(outputPath(home, r.output_file), { force: true });
    }
  }
  if (drop.size > 0) state.job_runs = state.job_runs.filter((r) => !drop.has(r.id));
  return added.filter((r) => !drop.has(r.id));
}

export function runFailed(r: Pick<JobRun, 'exit_code' | 'timed_out' | 'error'>): boolean {
  return r.error !== null || r.timed_out || r.exit_code !== 0;
}
