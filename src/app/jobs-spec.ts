// The rules of a job definition, pure so they are tested without state or hosts: safe names, the interpreter
// from the shebang, environment pairs, sizes, and how a run's result reads as success or failure.
import { UsageError } from '../core/errors.js';
import type { JobRunResult, JobSpec } from '../agent/jobs-protocol.js';
import type { Job } from '../store/schema.js';

export const JOB_DEFAULTS = {
  timeout_s: 3600,
  max_output_bytes: 1024 * 1024,
  keep_runs: 20,
  /** a script is text for a shell or an interpreter, not a payload */
  max_script_bytes: 1024 * 1024,
} as const;

/** The name becomes a directory, a cron file and a metrics label on hosts: no room for surprises. */
export function validateJobName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name)) {
    throw new UsageError(`invalid job name '${name}'`,
      "use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters (it names files and a cron entry on hosts)");
  }
  return name;
}

/** The shebang line's interpreter (with its one argument), or /bin/sh when the script has none. */
export function interpreterOf(content: string): string {
  const firstLine = content.split('\n', 1)[0]!.replace(/\r$/, '');
  if (!firstLine.startsWith('#!')) return '/bin/sh';
  const interpreter = firstLine.slice(2).trim();
  if (!interpreter.startsWith('/')) {
    throw new UsageError(`the script's shebang '${firstLine}' does not name an interpreter by absolute path`, 'e.g. #!/bin/bash or #!/usr/bin/env python3');
  }
  return interpreter;
}

export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(`--env '${pair}' is not NAME=value`, 'e.g. --env RETENTION_DAYS=7 (names: letters, digits, _, not starting with a digit)');
    }
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

/** '1048576', '512k', '4m' (binary units), for --max-output. */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+)\s*([kKmM]?)[iI]?[bB]?$/.exec(text.trim());
  const value = m ? Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1024 : 1024 * 1024) : 1) : NaN;
  if (!m || value < 1024 || value > 256 * 1024 * 1024) throw new UsageError(`${what} '${text}' must be a size from 1k to 256m`, 'e.g. 512k or 4m');
  return value;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function jobSpec(job: Job, overrides: { timeout_s?: number } = {}): JobSpec {
  return {
    job: job.job_name, version: job.version, script_sha256: job.script_sha256, interpreter: job.interpreter,
    args: job.args, env: job.env, timeout_s: overrides.timeout_s ?? job.timeout_s, run_as: job.run_as,
    max_output_bytes: job.max_output_bytes,
  };
}

/** Why a run that came back counts as failed, or null when it succeeded. */
export function runFailure(r: Pick<JobRunResult, 'exit_code' | 'signal' | 'timed_out'>, timeoutS: number): string | null {
  if (r.timed_out) return `timed out after ${timeoutS} s; its process group was ended`;
  if (r.signal) return `killed by signal ${r.signal}`;
  if (r.exit_code !== 0) return `exit code ${r.exit_code}`;
  return null;
}
