// Scheduled checks: cron runs `node fim/agent.cjs fim-check <policy dir>` under nice/ionice. It checks against
// the host copy of the baseline (only while its sha256 is the one `fim schedule` recorded), appends what
// changed since the previous scheduled check to the journal, and writes node_exporter textfile metrics so
// Prometheus itself can alert on tampering. The controller pulls the journal into its events later.
import { copyFileSync, chmodSync, existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { cronAvailable, installCronEntry, removeCronEntry } from './cron.js';
import { writeAtomicSync } from './files.js';
import { driftKey, type FimPolicySpec } from './fim-entry.js';
import { appendJournal, files, hasBaseline, hostFimRoot, policyDir, tryLock, type JournalLine, type PolicyFile } from './fim-host.js';
import { sha256OfFile } from './fim-lines.js';
import { checkAgainst } from './fim-run.js';
import { gauge, removeTextfileMetrics, writeTextfileMetrics } from './textfile.js';
import { shellQuote } from '../remote/quote.js';

export const cronId = (policy: string) => `fim-${policy}`;
export const metricsName = (policy: string) => `promanager-fim-${policy}`;

export function metricsBody(policy: string, changed: number, unknown: number, at: Date): string {
  const labels = { policy };
  return [
    gauge('promanager_fim_changed_files', 'Paths added, removed or modified against the promanager FIM baseline, not accepted, at the last check (scheduled or on demand) or accept.', [{ labels, value: changed }]),
    gauge('promanager_fim_unknown_files', 'Paths whose state the last FIM check could not establish (unreadable, vanished, I/O error).', [{ labels, value: unknown }]),
    gauge('promanager_fim_last_check_timestamp_seconds', 'When the last FIM check (scheduled or on demand) completed, seconds since the epoch.', [{ labels, value: Math.floor(at.getTime() / 1000) }]),
  ].join('');
}

function readDriftKeys(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  return new Set(readFileSync(file, 'utf8').split('\n').filter((l) => l !== ''));
}

/** The `fim-check` mode. Exit 0 when the check ran (drift or not), 1 when it could not. */
export async function scheduledCheck(args: string[]): Promise<number> {
  const dir = args[0];
  if (!dir) {
    process.stderr.write('usage: agent.cjs fim-check <policy directory>\n');
    return 2;
  }
  const f = files(dir);
  const { spec, baseline_sha256, textfile_dir } = JSON.parse(readFileSync(f.policy, 'utf8')) as PolicyFile;
  const release = tryLock(dir);
  if (!release) {
    process.stderr.write(`${new Date().toISOString()} fim-check ${spec.name}: the previous check is still running; skipped\n`);
    return 0;
  }
  const at = new Date();
  const run = (error: string | null, counts = { added: 0, removed: 0, modified: 0, unknown: 0 }, duration_ms = 0): JournalLine =>
    ({ type: 'run', at: at.toISOString(), baseline_sha256, ...counts, duration_ms, error });
  try {
    if (!(await hasBaseline(dir, baseline_sha256))) {
      appendJournal(dir, [run('the host copy of the baseline is missing or altered (sha256 differs from the one scheduled); not checked')]);
      return 1;
    }
    const previous = readDriftKeys(f.drift);
    const keys: string[] = [];
    const events: JournalLine[] = [];
    const outcome = await checkAgainst(spec, f.baseline, false, (d) => {
      const key = driftKey(d);
      keys.push(key);
      if (!previous.has(key)) events.push({ type: 'event', at: at.toISOString(), baseline_sha256, ...d });
    });
    if (outcome.limit) {
      appendJournal(dir, [run(outcome.limit.message, undefined, outcome.report.duration_ms)]);
      return 1;
    }
    const counts = { added: outcome.added, removed: outcome.removed, modified: outcome.modified, unknown: outcome.unknown };
    appendJournal(dir, [...events, run(null, counts, outcome.report.duration_ms)]);
    writeAtomicSync(f.drift, keys.length ? `${keys.join('\n')}\n` : '', 0o600);
    writeTextfileMetrics(metricsName(spec.name), metricsBody(spec.name, counts.added + counts.removed + counts.modified, counts.unknown, new Date()), textfile_dir ?? null);
    return 0;
  } finally {
    release();
  }
}

function findOnPath(name: string): string | null {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return null;
}

/** cron needs a path that survives agent upgrades (the uploaded agent is named by its hash). */
async function stableAgentCopy(): Promise<string> {
  const target = path.join(hostFimRoot(), 'agent.cjs');
  if (existsSync(target) && (await sha256OfFile(target)) === (await sha256OfFile(__filename))) return target;
  const temp = `${target}.${process.pid}.tmp`;
  copyFileSync(__filename, temp);
  chmodSync(temp, 0o500);
  renameSync(temp, target);
  return target;
}

export interface ScheduleResult {
  need_baseline?: boolean;
  changed: boolean;
  where: string;
  command: string;
  /** false: cron is installed but no daemon runs, so the entry will not fire (warned about, like jobs) */
  cron_running?: boolean | null;
}

export async function installSchedule(spec: FimPolicySpec, baselineSha256: string, schedule: string, textfileDir: string | null = null): Promise<ScheduleResult> {
  const dir = policyDir(spec.name);
  if (!(await hasBaseline(dir, baselineSha256))) return { need_baseline: true, changed: false, where: '', command: '' };
  const cron = cronAvailable();
  if (!cron.ok) throw new Error(cron.reason ?? 'cron is not available on this host');
  const agent = await stableAgentCopy();
  const before = readPolicyFile(files(dir).policy);
  // Metrics left where the policy no longer writes would go stale.
  if (before && (before.textfile_dir ?? null) !== textfileDir) removeTextfileMetrics(metricsName(spec.name), before.textfile_dir ?? null);
  writeAtomicSync(files(dir).policy, JSON.stringify({ spec, baseline_sha256: baselineSha256, textfile_dir: textfileDir } satisfies PolicyFile), 0o600);
  const ionice = findOnPath('ionice');
  const argv = ['nice', '-n', '10', ...(ionice ? [ionice, '-c', '3'] : []), process.execPath, agent, 'fim-check', dir];
  const command = `${argv.map(shellQuote).join(' ')} >>${shellQuote(files(dir).log)} 2>&1`;
  const installed = installCronEntry({ id: cronId(spec.name), schedule, command });
  return { ...installed, command, cron_running: cron.daemonRunning ?? null };
}

function readPolicyFile(file: string): PolicyFile | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PolicyFile;
  } catch {
    return null;
  }
}

export function removeSchedule(policy: string): { changed: boolean; where: string } {
  const removed = removeCronEntry(cronId(policy));
  const policyFile = files(policyDir(policy)).policy;
  const metrics = removeTextfileMetrics(metricsName(policy), readPolicyFile(policyFile)?.textfile_dir ?? null);
  if (existsSync(policyFile)) renameSync(policyFile, `${policyFile}.unscheduled`);
  return { changed: removed.changed || metrics, where: removed.where };
}
