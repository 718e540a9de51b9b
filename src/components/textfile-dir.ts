// node_exporter's textfile directory on a host: one inventory variable, `node_exporter_textfile_dir`, drives
// both node_exporter's --collector.textfile.directory and every writer of promanager's metrics (scheduled and
// on-demand jobs, FIM checks, FIM accepts), so they can never point at two different places.
import { UsageError } from '../core/errors.js';
import { defaultTextfileDir, type Who } from '../agent/layout.js';

export const TEXTFILE_DIR_VAR = 'node_exporter_textfile_dir';

// The value becomes a command-line flag, a systemd unit line and a path the agent creates as root: an
// absolute path of plain characters, no `..`, nothing a shell or a unit file would read differently.
const SAFE_DIR = /^\/[A-Za-z0-9._+@/-]*$/;

/** The directory the host's variable names, checked; null when it names none (the agent's default applies). */
export function textfileDirVar(vars: Record<string, unknown>, hostName: string): string | null {
  const value = vars[TEXTFILE_DIR_VAR];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !SAFE_DIR.test(value) || value.split('/').includes('..') || value.length > 4096) {
    throw new UsageError(
      `${TEXTFILE_DIR_VAR} of host ${hostName} is ${JSON.stringify(value)}: it must be an absolute directory path of letters, digits and . _ + @ / - (no '..')`,
      `for example ${TEXTFILE_DIR_VAR}: /var/lib/prometheus/node-exporter`,
    );
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

/** The directory in force on a host: the variable, else the default for the connecting user. */
export function textfileDirFor(vars: Record<string, unknown>, hostName: string, who: Who): string {
  return textfileDirVar(vars, hostName) ?? defaultTextfileDir(who);
}
