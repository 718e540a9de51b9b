// `host clean`: take away what promanager left on this host. Always: the agent and its runtime, uploaded
// artifacts and scripts, promanager's textfile metrics, and the directories that are then empty. Data (service
// data, config and logs, job run records, FIM baselines and journals) only with purge, which also uninstalls
// every service (with its system user) and removes every scheduled job and FIM check. Without purge it refuses
// while anything still depends on the agent (an installed service, a cron entry), and names them.
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { listCronEntryIds, removeCronEntry } from './cron.js';
import { AgentFailure } from './handlers.js';
import { agentBaseOf, createdUserMarker, currentWho, promanagerRoots, serviceLayout, type Who } from './layout.js';
import { removeCreatedUser, uninstall } from './service-install.js';
import { stopService } from './service-runtime.js';
import type { ServiceSpec } from './service-spec.js';
import { effectiveTextfileDir } from './textfile.js';

export interface CleanResult {
  changed: boolean;
  steps: string[];
  /** what stays because it is data (without purge) */
  kept: string[];
}

function names(dir: string, pattern = /^[a-z_]+$/): string[] {
  try {
    return readdirSync(dir).filter((n) => pattern.test(n));
  } catch {
    return [];
  }
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Components with a recorded spec (installed), and components of which anything at all is left. */
function componentsOn(who: Who): { installed: string[]; present: string[] } {
  const l = serviceLayout('x', who);
  const installed = names(path.dirname(l.run_dir)).filter((c) => existsSync(path.join(path.dirname(l.run_dir), c, 'spec.json')));
  const present = new Set([...installed, ...names(path.dirname(l.base_dir)), ...names(path.dirname(l.config_dir)), ...names(path.dirname(l.data_dir))]);
  return { installed, present: [...present].sort() };
}

/** Every directory promanager's metrics may be in: the default, and any a scheduled writer or node_exporter recorded. */
function textfileDirs(who: Who, specs: ServiceSpec[]): string[] {
  const base = agentBaseOf(who);
  const dirs = new Set<string>([effectiveTextfileDir(null)]);
  for (const job of names(path.join(base, 'jobs'), /^[a-z0-9][a-z0-9_.-]*$/)) {
    const d = readJson<{ textfile_dir?: string | null }>(path.join(base, 'jobs', job, 'job.json'))?.textfile_dir;
    if (d) dirs.add(d);
  }
  for (const policy of names(path.join(base, 'fim'), /^[a-z0-9][a-z0-9_.-]*$/)) {
    for (const f of ['policy.json', 'policy.json.unscheduled']) {
      const d = readJson<{ textfile_dir?: string | null }>(path.join(base, 'fim', policy, f))?.textfile_dir;
      if (d) dirs.add(d);
    }
  }
  for (const s of specs) if (s.textfile_dir) dirs.add(s.textfile_dir);
  return [...dirs];
}

function removeEmptyDirs(dir: string, steps: string[]): boolean {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return true;
  }
  if (!st.isDirectory()) return false;
  let empty = true;
  for (const entry of readdirSync(dir)) if (!removeEmptyDirs(path.join(dir, entry), steps)) empty = false;
  if (!empty) return false;
  rmdirSync(dir);
  steps.push(`removed empty ${dir}`);
  return true;
}

export async function cleanHost(purge: boolean, leftoverSpec: (component: string) => ServiceSpec, installedSpec: (component: string) => ServiceSpec | null): Promise<CleanResult> {
  const who = currentWho();
  const steps: string[] = [];
  const kept: string[] = [];
  const { installed, present } = componentsOn(who);
  const cron = listCronEntryIds().filter((id) => id.startsWith('job-') || id.startsWith('fim-'));
  if (!purge && (installed.length > 0 || cron.length > 0)) {
    const parts = [installed.length ? `services installed: ${installed.join(', ')}` : null, cron.length ? `scheduled: ${cron.join(', ')}` : null].filter(Boolean);
    throw new AgentFailure('failed', `still in use (${parts.join('; ')}): uninstall and unschedule them first (promanager service uninstall, job unschedule, fim unschedule), or clean with --purge, which removes them with their data`);
  }
  const specs = present.map((c) => installedSpec(c) ?? leftoverSpec(c));
  const metricDirs = textfileDirs(who, specs);
  const remove = (p: string) => {
    if (!existsSync(p)) return;
    rmSync(p, { recursive: true, force: true });
    steps.push(`removed ${p}`);
  };
  if (purge) {
    for (const id of cron) {
      const r = removeCronEntry(id);
      if (r.changed) steps.push(`removed cron entry ${id} from ${r.where}`);
    }
    for (const spec of specs) {
      if (await stopService(spec)) steps.push(`stopped ${spec.component}`);
      uninstall(spec, true, steps);
    }
    if (who.root) for (const user of names(path.dirname(createdUserMarker(who, 'x')), /^[a-z_][a-z0-9_-]*$/)) removeCreatedUser(user, steps);
  }
  // promanager's own metrics: stale once nothing runs that writes them, and alerting forever if left.
  for (const dir of metricDirs) {
    for (const f of names(dir, /^promanager[_-][A-Za-z0-9_.-]*\.prom$/)) {
      unlinkSync(path.join(dir, f));
      steps.push(`removed ${path.join(dir, f)}`);
    }
  }
  const base = agentBaseOf(who);
  const l = serviceLayout('x', who);
  if (purge) remove(base);
  else {
    for (const p of ['agent', 'runtime', 'scripts', path.join('fim', 'agent.cjs')]) remove(path.join(base, p));
    for (const p of ['jobs', 'fim', 'users']) if (existsSync(path.join(base, p))) kept.push(path.join(base, p));
    for (const c of present) kept.push(...[serviceLayout(c, who).data_dir, serviceLayout(c, who).config_dir].filter((p) => existsSync(p)));
  }
  remove(l.artifacts_dir);
  for (const root of promanagerRoots(who)) removeEmptyDirs(root, steps);
  return { changed: steps.length > 0, steps, kept };
}
