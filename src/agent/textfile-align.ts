// One textfile directory per host. When the controller names a directory (node_exporter_textfile_dir, or the
// default when none) that differs from the one a scheduled writer recorded, every scheduled job and FIM policy
// on the host is moved to it, with its current metrics file, so cron runs never keep writing where
// node_exporter no longer reads (a failing job's metric would vanish and its alert clear while it still fails).
import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { writeAtomicSync } from './files.js';
import { hostFimRoot } from './fim-host.js';
import { agentBase, readJobFileIfAny, writeJobFile } from './jobs-store.js';
import { effectiveTextfileDir, metricsFile, writeTextfileMetrics } from './textfile.js';

const jobMetricsName = (job: string) => `promanager_job_${job}`;
const fimMetricsName = (policy: string) => `promanager-fim-${policy}`;

function moveMetrics(name: string, from: string | null, to: string | null, steps: string[]): void {
  const source = metricsFile(name, from);
  if (!existsSync(source)) return;
  // Written atomically, creating the directory if needed: a scrape must never see half a file.
  const target = writeTextfileMetrics(name, readFileSync(source, 'utf8'), to);
  unlinkSync(source);
  steps.push(`moved ${source} to ${target}`);
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** Points every scheduled writer on this host at `dir` (null: the default); returns what it moved. */
export function alignTextfileDir(dir: string | null): string[] {
  const steps: string[] = [];
  const want = effectiveTextfileDir(dir);
  const base = agentBase();
  for (const job of subdirs(path.join(base, 'jobs'))) {
    const scheduled = readJobFileIfAny(path.join(base, 'jobs', job));
    if (!scheduled || effectiveTextfileDir(scheduled.textfile_dir) === want) continue;
    moveMetrics(jobMetricsName(job), scheduled.textfile_dir, dir, steps);
    writeJobFile({ ...scheduled, textfile_dir: dir });
  }
  for (const policy of subdirs(hostFimRoot())) {
    const file = path.join(hostFimRoot(), policy, 'policy.json');
    let recorded: { textfile_dir?: string | null } & Record<string, unknown>;
    try {
      recorded = JSON.parse(readFileSync(file, 'utf8')) as typeof recorded;
    } catch {
      continue; // not scheduled
    }
    if (effectiveTextfileDir(recorded.textfile_dir) === want) continue;
    moveMetrics(fimMetricsName(policy), recorded.textfile_dir ?? null, dir, steps);
    writeAtomicSync(file, JSON.stringify({ ...recorded, textfile_dir: dir }), 0o600);
  }
  return steps;
}

