// `service logs <component> [-n N] [--follow]`: the component's log on each targeted host, streamed with the
// host in front. The agent says where the log is (the supervisor's log file, or the systemd unit's journal);
// the lines come over a plain SSH channel (`tail` / `journalctl`), whose process group ends when the channel
// closes, so Ctrl-C or a deadline leaves nothing running on the host.
import { UsageError } from '../core/errors.js';
import type { ServiceSpec } from '../agent/service-spec.js';
import type { TargetOptions } from '../core/targets.js';
import type { FanoutEvent } from '../remote/fanout.js';
import { shellJoin } from '../remote/quote.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { runRemote, type RemoteRun } from './remote-run.js';
import { componentArg } from './services.js';

export interface LogsOptions {
  lines: number;
  follow: boolean;
  targets: TargetOptions & { limit?: string };
  onOutput?(host: HostView, stream: 'stdout' | 'stderr', text: string): void;
  onEvent?(event: FanoutEvent<LogsHostResult>, host: HostView): void;
}

export interface LogsHostResult {
  source: string;
  exit_code: number | null;
}

/** A follow runs until Ctrl-C: its deadline is --timeout if given, else a week (longer than any session). */
const FOLLOW_DEADLINE_S = 7 * 24 * 3600;

/** The command that prints (and with follow, keeps printing) the service's log; pure, for the test. */
export function logCommand(spec: Pick<ServiceSpec, 'manager' | 'unit_name' | 'log_file'>, lines: number, follow: boolean, systemd: boolean): { argv: string[]; source: string } {
  if (spec.manager === 'systemd' && systemd) {
    return { argv: ['journalctl', '-u', spec.unit_name, '-n', String(lines), '--no-pager', '-o', 'short-iso', ...(follow ? ['-f'] : [])], source: `journalctl -u ${spec.unit_name}` };
  }
  // -F follows the name across the supervisor's rotation (log -> log.1).
  return { argv: ['tail', '-n', String(lines), ...(follow ? ['-F'] : []), '--', spec.log_file], source: spec.log_file };
}

export function serviceLogs(ctx: Context, component: string, opts: LogsOptions): Promise<RemoteRun<LogsHostResult>> {
  const c = componentArg(component);
  if (ctx.globals.dryRun) throw new UsageError('service logs changes nothing: run it without --dry-run');
  return runRemote<LogsHostResult>(ctx, {
    permission: 'read',
    targets: opts.targets,
    mutating: false,
    defaultTimeoutS: opts.follow ? FOLLOW_DEADLINE_S : 60,
    work: async (session, host) => {
      const agent = await session.agent();
      const spec = await agent.call<ServiceSpec>('service_spec', { component: c });
      const facts = await agent.call<{ systemd_running?: boolean }>('service_log_source', { component: c });
      const { argv, source } = logCommand(spec, opts.lines, opts.follow, facts.systemd_running === true);
      const r = await session.run(shellJoin(argv), {
        onStdout: (s) => opts.onOutput?.(host, 'stdout', s),
        onStderr: (s) => opts.onOutput?.(host, 'stderr', s),
      });
      return { source, exit_code: r.code };
    },
    judge: (r) => (r.exit_code === 0 ? null : `could not read ${r.source} (exit code ${r.exit_code})`),
    onEvent: opts.onEvent,
  });
}
