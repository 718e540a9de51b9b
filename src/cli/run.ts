// Shared wiring for every command: builds the Context, runs the use case, turns errors into the documented
// exit codes and clear messages (stack traces only with --debug).
import type { Command } from 'commander';
import { ExitCode, NothingToDoError, PromanagerError } from '../core/errors.js';
import type { Context, GlobalOptions, Io } from '../app/context.js';
import { currentOsUser } from '../app/context.js';
import { Store } from '../store/db.js';
import { colour } from './output.js';

export interface CliEnv {
  globals: GlobalOptions;
  io: Io;
  argv: string[];
  /** set by the action that ran; read by main() after parsing */
  exitCode: number;
}

/** A spinner that must be paused while a question is on the terminal. */
export interface Pausable {
  stop(): unknown;
  start(): unknown;
}
let activeProgress: Pausable | null = null;
export function setActiveProgress(progress: Pausable | null): void {
  activeProgress = progress;
}

let questions: Promise<unknown> = Promise.resolve();
/** One question at a time, with any spinner stopped so it cannot overwrite the prompt. */
function asking<T>(ask: () => Promise<T>): Promise<T> {
  const next = questions.then(async () => {
    const progress = activeProgress;
    progress?.stop();
    try {
      return await ask();
    } finally {
      progress?.start();
    }
  });
  questions = next.catch(() => undefined);
  return next;
}

/** The command words ("host add") of a commander leaf command. */
export function commandPath(cmd: Command): string {
  const words: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

export function createContext(env: CliEnv, command: string): Context {
  return {
    globals: env.globals,
    store: new Store(env.globals.home),
    io: env.io,
    now: () => new Date(),
    osUser: currentOsUser(),
    command,
    argv: env.argv,
    confirm: (question) => asking(async () => {
      if (!env.io.stdinIsTTY) return false;
      const { default: inquirer } = await import('inquirer');
      const answer = await inquirer.prompt<{ ok: boolean }>([{ type: 'confirm', name: 'ok', message: `${question}?`, default: false }], { output: process.stderr });
      return answer.ok;
    }),
    secret: (question) => asking(async () => {
      if (!env.io.stdinIsTTY) return null;
      const { default: inquirer } = await import('inquirer');
      const answer = await inquirer.prompt<{ value: string }>([{ type: 'password', name: 'value', message: question, mask: '*' }], { output: process.stderr });
      return answer.value;
    }),
  };
}

/** Wraps a command body: `body` returns an exit code (default 0). */
export function action(env: CliEnv, body: (ctx: Context, ...args: never[]) => Promise<number | void>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const ctx = createContext(env, commandPath(cmd));
    try {
      const code = await (body as (ctx: Context, ...a: unknown[]) => Promise<number | void>)(ctx, ...args.slice(0, -1));
      env.exitCode = code ?? ExitCode.ok;
    } catch (err) {
      env.exitCode = await reportError(env, err);
    }
  };
}

export async function reportError(env: CliEnv, err: unknown): Promise<number> {
  const chalk = await colour(env.io);
  const red = (s: string) => (chalk ? chalk.red(s) : s);
  const dim = (s: string) => (chalk ? chalk.dim(s) : s);
  if (err instanceof NothingToDoError) {
    env.io.err(`${err.message}\n`);
    if (env.globals.json) env.io.out(JSON.stringify({ type: 'summary', command: err.command, hosts: 0, ok: 0, changed: 0, failed: 0, failed_hosts: [], message: err.message, exit_code: ExitCode.ok }) + '\n');
    return ExitCode.ok;
  }
  if (err instanceof PromanagerError) {
    env.io.err(`${red('error:')} ${err.message}\n`);
    if (err.hint) env.io.err(`${dim('hint:')} ${err.hint}\n`);
    if (env.globals.debug && err.stack) env.io.err(`${err.stack}\n`);
    if (env.globals.json) env.io.out(JSON.stringify({ error: err.message, hint: err.hint ?? null, exit_code: err.exitCode }) + '\n');
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  env.io.err(`${red('error:')} ${message}\n`);
  if (env.globals.debug && err instanceof Error && err.stack) env.io.err(`${err.stack}\n`);
  else env.io.err(`${dim('hint:')} run again with --debug for details\n`);
  if (env.globals.json) env.io.out(JSON.stringify({ error: message, hint: null, exit_code: ExitCode.error }) + '\n');
  return ExitCode.error;
}

/** Commander parses numbers as strings; this keeps messages uniform. */
export function intOption(name: string, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new PromanagerError(`${name} must be a whole number from ${min} to ${max}, got '${value}'`, { exitCode: ExitCode.usage });
    }
    return Number(value);
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
