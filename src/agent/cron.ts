// Cron entries on a host, touching only our own lines. As root an entry is a file of its own in /etc/cron.d
// (replaced atomically, so cron never reads half a file); as any other user it is a block in that user's
// crontab between '# promanager:<id> begin' and '# promanager:<id> end' markers, and every other line of the
// crontab is kept byte for byte. Node built-ins only (this runs inside the agent).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { writeAtomicSync } from './files.js';
import os from 'node:os';
import path from 'node:path';

export interface CronEntry {
  /** [a-z0-9_.-]+, e.g. 'job-backup', 'fim-etc' */
  id: string;
  /** five fields or an @nickname, already validated by the controller */
  schedule: string;
  /** one shell line, run by /bin/sh */
  command: string;
}

/** What the functions below need from the host; tests pass a temporary directory and a fake crontab. */
export interface CronSystem {
  root: boolean;
  userName: string;
  /** /etc/cron.d */
  cronDir: string;
  /** where a cron daemon binary may live */
  daemonPaths: string[];
  /** crontab(1) for the current user; `missing` when the binary is not there */
  crontab(args: string[], input?: string): { status: number | null; stdout: string; stderr: string; missing: boolean };
  /** is a cron daemon process running (best effort; null when it cannot be told) */
  daemonRunning(): boolean | null;
}

const PACKAGE_HINT = "install the Debian package 'cron' (apt-get install cron)";

export function hostCronSystem(): CronSystem {
  return {
    root: typeof process.getuid === 'function' && process.getuid() === 0,
    userName: os.userInfo().username,
    cronDir: '/etc/cron.d',
    daemonPaths: ['/usr/sbin/cron', '/usr/sbin/crond', '/sbin/crond', '/usr/bin/crond'],
    crontab(args, input) {
      const r = spawnSync('crontab', args, { input: input ?? '', encoding: 'utf8', timeout: 30_000 });
      const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
      return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message ?? ''), missing };
    },
    daemonRunning() {
      try {
        return readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && /^(cron|crond)$/.test(readQuietly(`/proc/${pid}/comm`).trim()));
      } catch {
        return null;
      }
    },
  };
}

function readQuietly(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function cronAvailable(system: CronSystem = hostCronSystem()): { ok: boolean; reason?: string; daemonRunning?: boolean | null } {
  if (!system.daemonPaths.some(isExecutable)) {
    return { ok: false, reason: `no cron daemon on this host (looked for ${system.daemonPaths.join(', ')}): ${PACKAGE_HINT}` };
  }
  if (system.root) {
    if (!existsSync(system.cronDir)) return { ok: false, reason: `${system.cronDir} is missing: ${PACKAGE_HINT}` };
  } else {
    const probe = system.crontab(['-l']);
    if (probe.missing) return { ok: false, reason: `crontab(1) is missing: ${PACKAGE_HINT}` };
    if (probe.status !== 0 && !/no crontab for/i.test(probe.stderr)) {
      return { ok: false, reason: `crontab -l fails for ${system.userName}: ${probe.stderr.trim() || `exit ${probe.status}`}` };
    }
  }
  return { ok: true, daemonRunning: system.daemonRunning() };
}

function checkEntry(entry: CronEntry): void {
  checkId(entry.id);
  if (!/^(@[a-z]+|\S+( \S+){4})$/.test(entry.schedule.trim().replace(/\s+/g, ' '))) {
    throw new Error(`cron schedule '${entry.schedule}' is not five fields or an @nickname`);
  }
  if (/[\n\r]/.test(entry.command) || entry.command.trim() === '') throw new Error('a cron command must be one non-empty line');
}

function checkId(id: string): void {
  if (!/^[a-z0-9_.-]+$/.test(id)) throw new Error(`cron entry id '${id}' must be made of a-z 0-9 _ . -`);
}

/**
 * cron ignores /etc/cron.d files whose names have anything but letters, digits, '_' and '-' (run-parts rules),
 * so '.' cannot appear; '_' doubles and '.' becomes '_d', which keeps distinct ids in distinct files.
 */
export function cronFileName(id: string): string {
  checkId(id);
  return `promanager-${id.replace(/_/g, '__').replace(/\./g, '_d')}`;
}

/** In a crontab line '%' means newline; ours are literal. */
function cronCommand(command: string): string {
  return command.replace(/%/g, '\\%');
}

const writeAtomic = writeAtomicSync;

const markers = (id: string) => ({ begin: `# promanager:${id} begin`, end: `# promanager:${id} end` });

function readCrontab(system: CronSystem): string {
  const r = system.crontab(['-l']);
  if (r.missing) throw new Error(`crontab(1) is missing: ${PACKAGE_HINT}`);
  if (r.status === 0) return r.stdout;
  if (/no crontab for/i.test(r.stderr)) return '';
  throw new Error(`crontab -l failed for ${system.userName}: ${r.stderr.trim() || `exit ${r.status}`}`);
}

function writeCrontab(system: CronSystem, content: string): void {
  const r = content.trim() === '' ? system.crontab(['-r']) : system.crontab(['-'], content);
  if (r.status !== 0 && !(content.trim() === '' && /no crontab for/i.test(r.stderr))) {
    throw new Error(`crontab refused the new table for ${system.userName}: ${r.stderr.trim() || `exit ${r.status}`}`);
  }
}

/** The crontab split around our block: lines before, the block (markers included, or null), lines after. */
function splitCrontab(text: string, id: string): { before: string[]; block: string[] | null; after: string[] } {
  const { begin, end } = markers(id);
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const start = lines.indexOf(begin);
  if (start < 0) {
    if (lines.includes(end)) throw new Error(`the crontab of the current user has '${end}' without '${begin}'; fix it with crontab -e`);
    return { before: lines, block: null, after: [] };
  }
  const stop = lines.indexOf(end, start);
  if (stop < 0) throw new Error(`the crontab of the current user has '${begin}' without '${end}'; fix it with crontab -e`);
  return { before: lines.slice(0, start), block: lines.slice(start, stop + 1), after: lines.slice(stop + 1) };
}

const joinLines = (lines: string[]) => (lines.length ? `${lines.join('\n')}\n` : '');

export function installCronEntry(entry: CronEntry, system: CronSystem = hostCronSystem()): { changed: boolean; where: string } {
  checkEntry(entry);
  const line = `${entry.schedule.trim()} ${system.root ? 'root ' : ''}${cronCommand(entry.command)}`;
  if (system.root) {
    const file = path.join(system.cronDir, cronFileName(entry.id));
    const content = [
      `# promanager:${entry.id}: written by promanager; replaced or removed by it, do not edit`,
      'SHELL=/bin/sh',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      line,
      '',
    ].join('\n');
    if (readQuietly(file) === content) return { changed: false, where: file };
    // cron refuses files that are group- or world-writable; 0644 is what it expects.
    writeAtomic(file, content, 0o644);
    return { changed: true, where: file };
  }
  const where = `crontab of ${system.userName}`;
  const { begin, end } = markers(entry.id);
  const block = [begin, line, end];
  const parts = splitCrontab(readCrontab(system), entry.id);
  if (parts.block && parts.block.join('\n') === block.join('\n')) return { changed: false, where };
  // A new block goes at the end; a changed one stays where it was.
  writeCrontab(system, joinLines([...parts.before, ...block, ...parts.after]));
  return { changed: true, where };
}

export function removeCronEntry(id: string, system: CronSystem = hostCronSystem()): { changed: boolean; where: string } {
  if (system.root) {
    const file = path.join(system.cronDir, cronFileName(id));
    if (!existsSync(file)) return { changed: false, where: file };
    unlinkSync(file);
    return { changed: true, where: file };
  }
  checkId(id);
  const where = `crontab of ${system.userName}`;
  const parts = splitCrontab(readCrontab(system), id);
  if (!parts.block) return { changed: false, where };
  writeCrontab(system, joinLines([...parts.before, ...parts.after]));
  return { changed: true, where };
}

/** The ids of every promanager entry on this host (to list or remove them all, e.g. `host clean`). */
export function listCronEntryIds(system: CronSystem = hostCronSystem()): string[] {
  if (system.root) {
    let names: string[] = [];
    try {
      names = readdirSync(system.cronDir);
    } catch {
      return [];
    }
    // cronFileName backwards: '__' was '_', '_d' was '.'.
    return names.filter((n) => n.startsWith('promanager-')).map((n) => n.slice('promanager-'.length).replace(/_(_|d)/g, (_m, c: string) => (c === '_' ? '_' : '.')));
  }
  let table = '';
  try {
    table = readCrontab(system);
  } catch {
    return []; // no crontab(1): nothing of ours can be there
  }
  return table.split('\n').map((l) => /^# promanager:([a-z0-9_.-]+) begin$/.exec(l)?.[1]).filter((id): id is string => Boolean(id));
}
