// Metrics for node_exporter's textfile collector: `<dir>/<name>.prom` files that node_exporter reads on every
// scrape. A file is replaced atomically (temporary file beside it, then rename) so a scrape never sees half of
// one; the temporary name does not end in .prom, so the collector never reads it either. Node built-ins only.
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { writeAtomicSync } from './files.js';
import path from 'node:path';
import { currentWho, defaultTextfileDir } from './layout.js';

/**
 * The directory when the controller names none (inventory `node_exporter_textfile_dir` unset): the one
 * node_exporter is installed to read (/var/lib/promanager/textfile as root, ~/.cache/promanager/textfile
 * otherwise). PROMANAGER_TEXTFILE_DIR in the agent's environment overrides it.
 */
export function textfileDir(): string {
  return process.env.PROMANAGER_TEXTFILE_DIR || defaultTextfileDir(currentWho());
}

/** The directory a writer uses: the one it was given (null: the default). */
export function effectiveTextfileDir(dir: string | null | undefined): string {
  return dir || textfileDir();
}

/** Checked again here: the agent trusts no path the controller sends (absolute, plain characters, no `..`). */
export function textfileDirParam(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._+@/-]*$/.test(value) || value.split('/').includes('..')) {
    throw new Error(`textfile_dir ${JSON.stringify(value)} must be an absolute path of plain characters`);
  }
  return value;
}

export function metricsFile(name: string, dir: string | null = null): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new Error(`textfile metrics name '${name}' must be made of letters, digits, _ . - (not starting with .)`);
  return path.join(effectiveTextfileDir(dir), `${name}.prom`);
}

export function writeTextfileMetrics(name: string, body: string, dir: string | null = null): string {
  const file = metricsFile(name, dir);
  // Readable by a node_exporter that runs as its own user (its parent directory must let it through too).
  // The agent runs under umask 077, so modes are set explicitly rather than requested.
  const parent = path.dirname(file);
  if (mkdirSync(parent, { recursive: true }) !== undefined) chmodSync(parent, 0o755);
  writeAtomicSync(file, body.endsWith('\n') ? body : `${body}\n`, 0o644);
  return file;
}

/** Removes `<dir>/<name>.prom`; true when there was one. Metrics of something no longer scheduled would alert forever. */
export function removeTextfileMetrics(name: string, dir: string | null = null): boolean {
  try {
    unlinkSync(metricsFile(name, dir));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** One gauge family in the text exposition format: HELP, TYPE and its samples. */
export function gauge(name: string, help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} gauge`];
  for (const s of samples) {
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    lines.push(`${name}${labels ? `{${labels}}` : ''} ${Number.isFinite(s.value) ? String(s.value) : 'NaN'}`);
  }
  return `${lines.join('\n')}\n`;
}
