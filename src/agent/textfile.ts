// Metrics for node_exporter's textfile collector: `<dir>/<name>.prom` files that node_exporter reads on every
// scrape. A file is replaced atomically (temporary file beside it, then rename) so a scrape never sees half of
// one; the temporary name does not end in .prom, so the collector never reads it either. Node built-ins only.
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { writeAtomicSync } from './files.js';
import os from 'node:os';
import path from 'node:path';

/** Point node_exporter's --collector.textfile.directory here (root); ~/.cache/promanager/textfile otherwise. */
export const DEFAULT_TEXTFILE_DIR = '/var/lib/promanager/textfile';

/** PROMANAGER_TEXTFILE_DIR overrides the default, e.g. to a directory node_exporter already reads. */
export function textfileDir(): string {
  const override = process.env.PROMANAGER_TEXTFILE_DIR;
  if (override) return override;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? DEFAULT_TEXTFILE_DIR : path.join(os.homedir(), '.cache', 'promanager', 'textfile');
}

function metricsFile(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new Error(`textfile metrics name '${name}' must be made of letters, digits, _ . - (not starting with .)`);
  return path.join(textfileDir(), `${name}.prom`);
}

export function writeTextfileMetrics(name: string, body: string): string {
  const file = metricsFile(name);
  // Readable by a node_exporter that runs as its own user (its parent directory must let it through too).
  // The agent runs under umask 077, so modes are set explicitly rather than requested.
  const dir = path.dirname(file);
  if (mkdirSync(dir, { recursive: true }) !== undefined) chmodSync(dir, 0o755);
  writeAtomicSync(file, body.endsWith('\n') ? body : `${body}\n`, 0o644);
  return file;
}

/** Removes `<dir>/<name>.prom`; true when there was one. Metrics of something no longer scheduled would alert forever. */
export function removeTextfileMetrics(name: string): boolean {
  try {
    unlinkSync(metricsFile(name));
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
