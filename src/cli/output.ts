// Rendering: tables on a terminal, tab-separated lines when piped, one JSON document with --json. Data goes
// to stdout, messages to stderr. Colour only on a terminal, never with NO_COLOR. Table and colour libraries are
// loaded only when a terminal will see them, so piped and JSON runs start faster.
import type { ChalkInstance } from 'chalk';
import type { Context, Io } from '../app/context.js';

export interface Column<T> {
  header: string;
  value(row: T): unknown;
  /** on a terminal, shown instead of value (sizes and durations in units); piped output keeps value */
  tty?(row: T): unknown;
}

export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.map(formatCell).join(',');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => (v === '' ? k : `${k}=${String(v)}`))
      .join(',');
  }
  return String(value);
}

/** Plain text must stay one record per line: tabs and newlines inside a value would split it. */
function plainCell(value: unknown): string {
  return formatCell(value).replace(/[\t\n\r]/g, ' ');
}

export async function printTable<T>(ctx: Context, rows: T[], columns: Column<T>[], jsonRows: () => unknown): Promise<void> {
  const { io } = ctx;
  if (ctx.globals.json) {
    io.out(JSON.stringify(jsonRows(), null, 2) + '\n');
    return;
  }
  if (!io.stdoutIsTTY) {
    io.out(rows.map((r) => columns.map((c) => plainCell(c.value(r))).join('\t')).join('\n') + (rows.length ? '\n' : ''));
    return;
  }
  if (rows.length === 0) {
    io.err('(none)\n');
    return;
  }
  const { default: Table } = await import('cli-table3');
  const chalk = await colour(io);
  const table = new Table({
    head: columns.map((c) => (chalk ? chalk.bold(c.header) : c.header)),
    style: { head: [], border: [] },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  });
  for (const r of rows) table.push(columns.map((c) => formatCell((c.tty ?? c.value)(r))));
  io.out(table.toString().split('\n').map((l) => l.trimEnd().replace(/^ /, '')).join('\n') + '\n');
}

/** One record: JSON object, or `field<TAB>value` lines. */
export function printRecord(ctx: Context, record: Record<string, unknown>): void {
  if (ctx.globals.json) {
    ctx.io.out(JSON.stringify(record, null, 2) + '\n');
    return;
  }
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  const sep = ctx.io.stdoutIsTTY ? (k: string) => k.padEnd(width + 2) : (k: string) => `${k}\t`;
  ctx.io.out(Object.entries(record).map(([k, v]) => `${sep(k)}${plainCell(v)}`).join('\n') + '\n');
}

export function printJson(ctx: Context, value: unknown): void {
  ctx.io.out(JSON.stringify(value, null, 2) + '\n');
}

/** A success message for a person: stderr, so stdout stays clean for data. */
export async function say(ctx: Context, message: string): Promise<void> {
  const chalk = await colour(ctx.io);
  ctx.io.err((chalk ? chalk.green('✔ ') : '') + message + '\n');
}

export async function warn(ctx: Context, message: string): Promise<void> {
  const chalk = await colour(ctx.io);
  ctx.io.err((chalk ? chalk.yellow('warning: ') : 'warning: ') + message + '\n');
}

export async function colour(io: Io): Promise<ChalkInstance | null> {
  if (!io.color) return null;
  const { default: chalk } = await import('chalk');
  return chalk;
}

export function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}
