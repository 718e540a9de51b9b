// `--limit @failed`: the hosts that failed the previous run of the same command, saved after every fan-out.
import { NothingToDoError, UsageError } from '../core/errors.js';
import type { State } from '../store/schema.js';
import type { Context } from './context.js';

export function failedHostsOf(state: State, ctx: Pick<Context, 'command'>, limit: string): string[] {
  if (limit !== '@failed') throw new UsageError(`--limit ${limit}: only '@failed' is understood`, 'use --limit @failed to re-run the hosts that failed last time');
  const last = state.last_runs.find((r) => r.command === ctx.command);
  if (!last) throw new UsageError(`--limit @failed: no previous run of '${ctx.command}' is recorded`);
  if (last.failed.length === 0) throw new NothingToDoError(`nothing failed last time: the previous '${ctx.command}' (${last.at}) succeeded on every host`, ctx.command);
  return last.failed;
}

export function recordLastRun(state: State, command: string, failed: string[], at: string): void {
  state.last_runs = state.last_runs.filter((r) => r.command !== command);
  state.last_runs.push({ command, at, failed });
}
