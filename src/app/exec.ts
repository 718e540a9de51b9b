// `exec [targets] -- command...`: an ad-hoc command on every targeted host, straight over an SSH channel
// (no agent needed, so it is as fast as plain ssh), with per-host exit codes and output.
import { UsageError } from '../core/errors.js';
import type { TargetOptions } from '../core/targets.js';
import { shellJoin } from '../remote/quote.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { runRemote, type RemoteRun } from './remote-run.js';
import type { FanoutEvent } from '../remote/fanout.js';

export interface ExecHostResult {
  exit_code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** One argument is a shell line (pipes and all); several are quoted and joined, so they arrive as typed. */
export function commandLine(argv: string[]): string {
  if (argv.length === 0) throw new UsageError('exec needs a command after --', "e.g. promanager exec -l role=prometheus -- 'df -h /'");
  return argv.length === 1 ? argv[0]! : shellJoin(argv);
}

export async function execOnHosts(ctx: Context, targets: TargetOptions & { limit?: string }, argv: string[], hooks: {
  onOutput?(host: HostView, stream: 'stdout' | 'stderr', text: string): void;
  onEvent?(event: FanoutEvent<ExecHostResult>, host: HostView): void;
}): Promise<RemoteRun<ExecHostResult>> {
  const command = commandLine(argv);
  if (ctx.globals.dryRun) {
    throw new UsageError('exec cannot --dry-run an arbitrary command', 'use promanager host list with the same targets to see which hosts it would run on');
  }
  return runRemote<ExecHostResult>(ctx, {
    permission: 'operate',
    targets,
    mutating: true,
    defaultTimeoutS: 600,
    work: async (session, host) => {
      const r = await session.run(command, {
        onStdout: (s) => hooks.onOutput?.(host, 'stdout', s),
        onStderr: (s) => hooks.onOutput?.(host, 'stderr', s),
      });
      return { exit_code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
    },
    judge: (r) => (r.exit_code === 0 ? null : r.signal ? `killed by signal ${r.signal}` : `exit code ${r.exit_code}`),
    onEvent: hooks.onEvent,
  });
}
