// `doctor`: can promanager work on these hosts? Reachability, host key, authentication, sudo, Node runtime,
// free disk where the agent lives, clock skew. Each check is reported, and the first one that fails says why.
import type { TargetOptions } from '../core/targets.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { runRemote, type RemoteRun } from './remote-run.js';

export interface DoctorCheck {
  check: 'reachable' | 'host_key' | 'auth' | 'sudo' | 'runtime' | 'disk' | 'clock';
  ok: boolean | null;
  detail: string;
}

export const MIN_FREE_BYTES = 200 * 1024 * 1024;
export const MAX_SKEW_MS = 5_000;

export async function doctor(ctx: Context, targets: TargetOptions & { limit?: string }, onEvent?: (e: FanoutEvent<DoctorCheck[]>, h: HostView) => void): Promise<RemoteRun<DoctorCheck[]>> {
  return runRemote<DoctorCheck[]>(ctx, {
    permission: 'read',
    targets,
    mutating: false,
    defaultTimeoutS: 60,
    work: async (session) => {
      const checks: DoctorCheck[] = [
        { check: 'reachable', ok: true, detail: session.target.local ? 'local' : `${session.target.ip}:${session.target.port}` },
        { check: 'host_key', ok: true, detail: session.target.local ? 'local' : 'verified' },
        { check: 'auth', ok: true, detail: session.target.local ? 'local' : `as ${session.target.user}` },
      ];
      if (session.target.become) {
        const sudo = await session.run('id -u');
        checks.push({ check: 'sudo', ok: sudo.code === 0 && sudo.stdout.trim() === '0', detail: sudo.code === 0 ? 'works' : sudo.stderr.trim() });
      } else {
        checks.push({ check: 'sudo', ok: null, detail: 'not needed (become off)' });
      }
      const t0 = Date.now();
      const agent = await session.agent();
      const info = await agent.call<{ agent_dir: string; free_bytes: number; time_ms: number; node: string }>('doctor');
      const t1 = Date.now();
      checks.push({ check: 'runtime', ok: true, detail: `node ${info.node}` });
      checks.push({ check: 'disk', ok: info.free_bytes >= MIN_FREE_BYTES, detail: `${(info.free_bytes / 1024 / 1024).toFixed(0)} MiB free in ${info.agent_dir}` });
      // The host's clock is compared with the midpoint of the round trip.
      const skew = info.time_ms - (t0 + t1) / 2;
      checks.push({ check: 'clock', ok: Math.abs(skew) <= MAX_SKEW_MS, detail: `skew ${(skew / 1000).toFixed(2)} s` });
      return checks;
    },
    judge: (checks) => {
      const bad = checks.filter((c) => c.ok === false);
      return bad.length ? bad.map((c) => `${c.check}: ${c.detail}`).join('; ') : null;
    },
    onEvent,
  });
}

/** Which check a connection-level failure belongs to, for the report. */
export function failedCheckOf(kind: string): DoctorCheck['check'] {
  if (kind === 'unreachable' || kind === 'timeout' || kind === 'handshake') return 'reachable';
  if (kind.startsWith('hostkey')) return 'host_key';
  if (kind === 'auth') return 'auth';
  if (kind === 'sudo') return 'sudo';
  return 'runtime';
}
