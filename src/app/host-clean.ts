// `host clean [targets] [--purge]`: remove what promanager left on hosts (see src/agent/host-clean.ts for the
// rules), and forget in the state what the hosts no longer have: services and schedules after a purge.
import type { TargetOptions } from '../core/targets.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { runRemote, type RemoteRun } from './remote-run.js';

export interface CleanHostResult {
  changed: boolean;
  steps: string[];
  kept: string[];
  plan: string[] | null;
}

export function cleanHosts(ctx: Context, targets: TargetOptions & { limit?: string }, purge: boolean, onEvent?: (e: FanoutEvent<CleanHostResult>, h: HostView) => void): Promise<RemoteRun<CleanHostResult>> {
  return runRemote<CleanHostResult>(ctx, {
    permission: 'operate',
    targets,
    mutating: true,
    defaultTimeoutS: 300,
    work: async (session) => {
      if (ctx.globals.dryRun) {
        return { changed: false, steps: [], kept: [], plan: [purge ? 'uninstall every service (data, config, logs, system users), remove scheduled jobs and FIM checks, then the agent, runtime, uploads, metrics and every promanager directory' : 'remove the agent, runtime, uploaded artifacts and scripts, promanager metrics and empty promanager directories; refuse if a service is installed or anything is scheduled'] };
      }
      const r = await (await session.agent()).call<Omit<CleanHostResult, 'plan'>>('host_clean', { purge });
      return { ...r, plan: null };
    },
    onEvent,
    persist: (state, outcomes, now) => {
      if (!purge) return;
      for (const o of outcomes) {
        const host = o.ok ? state.hosts.find((h) => h.ip === o.host.ip) : undefined;
        if (!host) continue;
        state.services = state.services.filter((s) => s.host_id !== host.id);
        for (const job of state.jobs) job.scheduled_on = job.scheduled_on.filter((s) => s.host_id !== host.id);
        for (const b of state.fim_baselines.filter((x) => x.host_id === host.id)) Object.assign(b, { schedule: null, host_sha256: null, update_at: now });
      }
    },
  });
}
