// `host refresh`: facts gathered by the agent, stored in the Host record (hostname, cpu, mem, root, os, status).
import type { Facts } from '../agent/protocol.js';
import type { TargetOptions } from '../core/targets.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { runRemote, type RemoteRun } from './remote-run.js';

const CONNECTION_KINDS = new Set(['unreachable', 'timeout', 'handshake']);

export async function refreshHosts(ctx: Context, targets: TargetOptions & { limit?: string }, onEvent?: (e: FanoutEvent<Facts>, h: HostView) => void): Promise<RemoteRun<Facts>> {
  return runRemote<Facts>(ctx, {
    permission: 'operate',
    targets,
    mutating: true,
    defaultTimeoutS: 60,
    work: async (session) => (await session.agent()).call<Facts>('facts'),
    onEvent,
    persist: (state, outcomes, now) => {
      for (const o of outcomes) {
        // With -i the host may exist only in the file; facts are kept for hosts the state knows.
        const host = state.hosts.find((h) => h.ip === o.host.ip);
        if (!host) continue;
        if (o.ok && o.result) {
          Object.assign(host, { hostname: o.result.hostname, cpu: o.result.cpu, mem: o.result.mem, root: o.result.root, os: o.result.os, status: 'up' });
        } else {
          host.status = o.error && CONNECTION_KINDS.has(o.error.kind) ? 'unreachable' : 'unknown';
        }
        host.update_at = now;
      }
    },
  });
}
