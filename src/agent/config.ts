// Agent methods for configuration pushes. Registered in handlers.ts.
//
// config_read: what is on the host now (for diffs). config_push: stage the whole bundle in a directory beside
// the live config, validate it there with the component's own tool (promtool / amtool), and only then move the
// changed files into place (each an atomic rename), delete managed files the bundle no longer has, reload
// over HTTP and confirm through the component's API. If the reload or the confirmation fails, every file is put
// back as it was and the component reloaded again, so the running config and the files on disk agree.
//
// `.promanager/manifest.json` in the config directory lists the files promanager wrote; only those are ever
// replaced or pruned, so files an operator put there by hand are left alone.
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Handler } from './handlers.js';
import { AgentFailure } from './handlers.js';
import type { ServiceSpec } from './service-spec.js';
import { runDirFor } from './services.js';
import { httpRequest } from './health.js';
import { runCommand } from './exec.js';

interface PushFile {
  path: string;
  content: string;
}

export interface ConfigReadResult {
  config_dir: string;
  managed: string[];
  files: Record<string, string | null>;
}

export interface ConfigPushResult {
  changed: boolean;
  written: string[];
  pruned: string[];
  /** the validators' own output */
  validation: string;
  /** how the reload was confirmed */
  confirmation: string | null;
  steps: string[];
}

const SAFE_PATH = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;
const LOCK_STALE_MS = 10 * 60 * 1000;

function recordedSpec(component: unknown): ServiceSpec {
  if (component !== 'prometheus' && component !== 'alertmanager') throw new AgentFailure('bad_request', "param 'component' must be prometheus or alertmanager");
  try {
    return JSON.parse(readFileSync(path.join(runDirFor(component), 'spec.json'), 'utf8')) as ServiceSpec;
  } catch {
    throw new AgentFailure('not_found', `${component} is not installed here by promanager (install it with: promanager service install ${component})`);
  }
}

function checkedPath(rel: unknown): string {
  // Bundle paths come from file names on the controller; nothing may escape the config directory.
  if (typeof rel !== 'string' || !SAFE_PATH.test(rel) || rel.split('/').includes('..')) throw new AgentFailure('bad_request', `unsafe config path '${String(rel)}'`);
  return rel;
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function stateDir(spec: ServiceSpec): string {
  return path.join(spec.config_dir, '.promanager');
}

function readManifest(spec: ServiceSpec): string[] {
  const text = readText(path.join(stateDir(spec), 'manifest.json'));
  if (text === null) return [];
  const parsed = JSON.parse(text) as { files?: unknown };
  return Array.isArray(parsed.files) ? parsed.files.filter((f): f is string => typeof f === 'string' && SAFE_PATH.test(f)) : [];
}

function writeManifest(spec: ServiceSpec, files: string[]): void {
  const file = path.join(stateDir(spec), 'manifest.json');
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ files: [...files].sort() }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** One push at a time per component on a host; a lock left by a killed agent expires. */
function takeLock(spec: ServiceSpec): () => void {
  const lock = path.join(stateDir(spec), 'lock');
  try {
    mkdirSync(lock);
  } catch {
    if (Date.now() - statSync(lock).mtimeMs < LOCK_STALE_MS) throw new AgentFailure('failed', `another config push for ${spec.component} is running on this host (${lock})`);
  }
  return () => rmSync(lock, { recursive: true, force: true });
}

function filesOf(params: Record<string, unknown>): PushFile[] {
  if (!Array.isArray(params.files) || params.files.length === 0) throw new AgentFailure('bad_request', "param 'files' must be a non-empty array");
  return params.files.map((f: { path?: unknown; content?: unknown }) => {
    if (typeof f.content !== 'string') throw new AgentFailure('bad_request', `file ${String(f.path)} has no content`);
    return { path: checkedPath(f.path), content: f.content };
  });
}

/** The validators, run against the staged copy (relative rule_files and file_sd paths resolve there). */
async function validate(spec: ServiceSpec, staging: string, files: PushFile[], steps: string[]): Promise<string> {
  const bin = path.join(spec.base_dir, 'current');
  const main = files[0]!.path;
  const commands: string[][] = spec.component === 'prometheus'
    ? [[path.join(bin, 'promtool'), 'check', 'config', path.join(staging, main)]]
    : [[path.join(bin, 'amtool'), 'check-config', path.join(staging, main)]];
  const rules = files.filter((f) => f.path.startsWith('rules/')).map((f) => path.join(staging, f.path));
  if (spec.component === 'prometheus' && rules.length > 0) commands.push([path.join(bin, 'promtool'), 'check', 'rules', ...rules]);
  const outputs: string[] = [];
  for (const command of commands) {
    const r = await runCommand({ command, timeout_ms: 60_000, cwd: staging }, () => undefined);
    // The staging path means nothing to the reader; show the paths as they will be once live.
    const output = `${r.stdout}${r.stderr}`.split(`${staging}/`).join('').trim();
    const shown = `${path.basename(command[0]!)} ${command.slice(1).join(' ').split(`${staging}/`).join('')}`;
    if (r.code !== 0) throw new AgentFailure('failed', `${shown} refused the new config (nothing was changed):\n${output}`);
    steps.push(`validated: ${shown}`);
    outputs.push(output);
  }
  return outputs.join('\n');
}

function apiUrl(spec: ServiceSpec, apiPath: string): string {
  return spec.health_url.replace(/\/-\/ready$/, apiPath);
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await httpRequest(url, 'GET', 10_000);
  if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}: ${res.body.trim().slice(0, 300)}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

interface PrometheusRuntime {
  reloadConfigSuccess: boolean;
  lastConfigTime: string;
}

async function prometheusRuntime(spec: ServiceSpec): Promise<PrometheusRuntime> {
  const body = await getJson(apiUrl(spec, '/api/v1/status/runtimeinfo'));
  return body.data as PrometheusRuntime;
}

/** What the confirmation compares against, read before anything changes. Also proves the component is up. */
async function snapshot(spec: ServiceSpec): Promise<number> {
  try {
    if (spec.component === 'prometheus') return Date.parse((await prometheusRuntime(spec)).lastConfigTime);
    await getJson(apiUrl(spec, '/api/v2/status'));
    return 0;
  } catch (err) {
    throw new AgentFailure('failed', `${spec.component} does not answer (${(err as Error).message}); nothing was changed (start it with: promanager service start ${spec.component})`);
  }
}

/** Alertmanager's config hash metric: the first 48 bits of the file's md5, little-endian, as a float. */
export function alertmanagerConfigHash(content: string): number {
  const sum = createHash('md5').update(content).digest();
  const bytes = Buffer.alloc(8);
  sum.copy(bytes, 0, 0, 6);
  return Number(bytes.readBigUInt64LE());
}

function metricValue(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

async function reloadAndConfirm(spec: ServiceSpec, before: number, main: string): Promise<string> {
  if (!spec.reload_url) throw new Error(`${spec.component} has no HTTP reload endpoint`);
  if (spec.component === 'prometheus') {
    // lastConfigTime has one-second resolution: reload in a later second than the last load, so that
    // "advanced" cannot be confused with "unchanged".
    const wait = (Math.floor(before / 1000) + 1) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const res = await httpRequest(spec.reload_url, 'POST', 60_000);
  if (res.status !== 200) throw new Error(`POST ${spec.reload_url} answered HTTP ${res.status}: ${res.body.trim().slice(0, 2000)}`);
  if (spec.component === 'prometheus') {
    const info = await prometheusRuntime(spec);
    const at = Date.parse(info.lastConfigTime);
    if (!info.reloadConfigSuccess || !(at > before)) throw new Error(`runtimeinfo after the reload: reloadConfigSuccess ${info.reloadConfigSuccess}, lastConfigTime ${info.lastConfigTime} (was ${new Date(before).toISOString()})`);
    return `runtimeinfo: reloadConfigSuccess true, lastConfigTime ${info.lastConfigTime}`;
  }
  // /api/v2/status shows the config re-serialised (defaults filled in, secrets masked), so it cannot be
  // compared byte for byte; the config hash metric is of the exact file Alertmanager loaded.
  const status = await getJson(apiUrl(spec, '/api/v2/status'));
  const original = (status.config as { original?: unknown } | undefined)?.original;
  if (typeof original !== 'string' || original === '') throw new Error('/api/v2/status shows no loaded config');
  const metrics = (await httpRequest(apiUrl(spec, '/metrics'), 'GET', 10_000)).body;
  const hash = metricValue(metrics, 'alertmanager_config_hash');
  const success = metricValue(metrics, 'alertmanager_config_last_reload_successful');
  if (success !== 1 || hash !== alertmanagerConfigHash(main)) throw new Error(`alertmanager did not load the pushed file (last reload successful ${success}, config hash ${hash}, expected ${alertmanagerConfigHash(main)})`);
  return 'api/v2/status answers; alertmanager_config_hash matches the pushed file';
}

/** What the swap did to one path, so it can be undone. */
interface JournalEntry {
  path: string;
  /** where the previous content was kept; null: the path did not exist */
  backup: string | null;
}

/** Fills `journal` as it goes, so a failure half-way can be undone by the caller. */
function swap(spec: ServiceSpec, staging: string, backupDir: string, written: string[], pruned: string[], journal: JournalEntry[]): void {
  const keep = (rel: string) => {
    const backup = path.join(backupDir, rel);
    mkdirSync(path.dirname(backup), { recursive: true });
    return backup;
  };
  for (const rel of written) {
    const live = path.join(spec.config_dir, rel);
    let backup: string | null = null;
    if (existsSync(live)) {
      // a copy, not a move: the live file must never be missing, file_sd watches it
      backup = keep(rel);
      copyFileSync(live, backup);
    }
    journal.push({ path: rel, backup });
    mkdirSync(path.dirname(live), { recursive: true });
    renameSync(path.join(staging, rel), live);
  }
  for (const rel of pruned) {
    const backup = keep(rel);
    renameSync(path.join(spec.config_dir, rel), backup);
    journal.push({ path: rel, backup });
  }
}

function restore(spec: ServiceSpec, journal: JournalEntry[]): void {
  for (const entry of [...journal].reverse()) {
    const live = path.join(spec.config_dir, entry.path);
    if (entry.backup) renameSync(entry.backup, live);
    else unlinkSync(live);
  }
}

async function push(params: Record<string, unknown>): Promise<ConfigPushResult> {
  // The bootstrap's umask 077 suits our own files; the component's user must be able to read its config.
  process.umask(0o022);
  const spec = recordedSpec(params.component);
  const files = filesOf(params);
  const steps: string[] = [];
  const wanted = new Set(files.map((f) => f.path));
  mkdirSync(stateDir(spec), { recursive: true, mode: 0o700 });
  const unlock = takeLock(spec);
  const staging = path.join(stateDir(spec), `staging-${randomBytes(4).toString('hex')}`);
  const backupDir = path.join(stateDir(spec), `backup-${randomBytes(4).toString('hex')}`);
  try {
    const managed = readManifest(spec);
    const written = files.filter((f) => readText(path.join(spec.config_dir, f.path)) !== f.content).map((f) => f.path);
    const pruned = managed.filter((p) => !wanted.has(p) && existsSync(path.join(spec.config_dir, p)));
    const manifestChanged = managed.length !== wanted.size || managed.some((p) => !wanted.has(p));
    if (written.length === 0 && pruned.length === 0) {
      if (manifestChanged) writeManifest(spec, [...wanted]);
      return { changed: false, written, pruned, validation: '', confirmation: null, steps: ['the config on the host is already what was rendered'] };
    }
    for (const f of files) {
      const file = path.join(staging, f.path);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, f.content, { mode: 0o644 });
    }
    steps.push(`staged ${files.length} file(s) in ${staging}`);
    const validation = await validate(spec, staging, files, steps);
    const before = await snapshot(spec);
    const journal: JournalEntry[] = [];
    try {
      swap(spec, staging, backupDir, written, pruned, journal);
      writeManifest(spec, [...wanted]);
      steps.push(`swapped in ${written.length} file(s)${pruned.length ? `, pruned ${pruned.join(', ')}` : ''}`);
      const confirmation = await reloadAndConfirm(spec, before, files[0]!.content);
      steps.push(`reloaded; ${confirmation}`);
      return { changed: true, written, pruned, validation, confirmation, steps };
    } catch (err) {
      restore(spec, journal);
      writeManifest(spec, managed);
      // Put the running process back on the restored files too; its own failure is reported but secondary.
      const again = await httpRequest(spec.reload_url ?? '', 'POST', 60_000).then((r) => (r.status === 200 ? 'reloaded the previous config' : `reloading the previous config answered HTTP ${r.status}`), (e: Error) => `reloading the previous config failed: ${e.message}`);
      throw new AgentFailure('failed', `the new config could not be put in place or reloaded; the previous config was restored (${again}):\n${(err as Error).message}`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(backupDir, { recursive: true, force: true });
    unlock();
  }
}

function read(params: Record<string, unknown>): ConfigReadResult {
  const spec = recordedSpec(params.component);
  const managed = readManifest(spec);
  const asked = Array.isArray(params.paths) ? params.paths.map(checkedPath) : [];
  const files: Record<string, string | null> = {};
  for (const rel of new Set([...asked, ...managed])) files[rel] = readText(path.join(spec.config_dir, rel));
  return { config_dir: spec.config_dir, managed, files };
}

function paramsObject(params: unknown): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new AgentFailure('bad_request', 'params must be an object');
  return params as Record<string, unknown>;
}

export const configHandlers: Record<string, Handler> = {
  config_read: (params) => read(paramsObject(params)),
  config_push: (params) => push(paramsObject(params)),
};
