// What `job run`, `job schedule`, `job unschedule` and `job history --collect` share on the way to hosts:
// the plan (job, hosts) for --dry-run, putting the script on a host once, and matching results to the state.
import type { StageResult } from '../agent/jobs-protocol.js';
import { ExitCode, PermissionDeniedError, PromanagerError } from '../core/errors.js';
import type { Permission } from '../core/rbac.js';
import type { AgentClient } from '../remote/agent-client.js';
import type { Host, Job, State } from '../store/schema.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { findJob, type CliTargets } from './jobs-targets.js';
import { resolveActor, type Actor } from './actor.js';
import { resolveTargets } from './remote-run.js';
import { recordAudit } from './transaction.js';

export interface JobPlan {
  job: Job;
  hosts: HostView[];
}

/** The hosts a job command would touch, permission checked, nothing contacted (--dry-run). */
export async function planJob(ctx: Context, name: string, permission: Permission, targetsOf: (state: State, job: Job) => CliTargets): Promise<JobPlan> {
  const state = await ctx.store.read();
  const job = findJob(state, name);
  const { hosts } = await resolveTargets(ctx, permission, targetsOf(state, job));
  return { job, hosts };
}

/**
 * Makes sure the host has the script, sending the body only when it lacks it (content-addressed, so the
 * second run and every other job with the same script cost one small round trip). True when it was sent.
 */
export async function stageScript(agent: AgentClient, sha256: string, content: Buffer): Promise<boolean> {
  const have = await agent.call<StageResult>('job_stage', { sha256 });
  if (have.present) return false;
  await agent.call<StageResult>('job_stage', { sha256, content: content.toString('base64') });
  return true;
}

/** The state's row for a host a command worked on. With -i the host may exist only in the file: null then. */
export function stateHost(state: State, host: HostView): Host | null {
  return state.hosts.find((h) => h.id === host.id && h.ip === host.ip) ?? state.hosts.find((h) => h.ip === host.ip) ?? null;
}

/**
 * The job commands own --timeout (the job's timeout for `job run`), so the engine's per-host deadline is
 * given as a default that leaves room for connecting and uploading, instead of being read from --timeout.
 */
export function withDeadlineOwnedByJob(ctx: Context): Context {
  return { ...ctx, globals: { ...ctx.globals, timeout: undefined } };
}

/**
 * The engine audits a fan-out once it has run; a job command refused or failed before that (no permission, no
 * such job, no schedule, no hosts) is a change attempted all the same, so it is audited here, then rethrown.
 */
export async function auditedAttempt<T>(ctx: Context, clusters: string[], attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    let actor: Actor | null = null;
    try {
      actor = resolveActor(await ctx.store.read(), ctx);
    } catch {
      // an unknown identity is recorded by its OS user name alone
    }
    const denied = err instanceof PermissionDeniedError;
    const code = err instanceof PromanagerError ? err.exitCode : ExitCode.error;
    // `--limit @failed` with nothing failed ends here too, with exit 0: recorded as ok, not as an error.
    await recordAudit(ctx, actor, { clusters, hosts: [] }, denied ? 'denied' : code === ExitCode.ok ? 'ok' : 'error', code, (err as Error).message).catch(() => undefined);
    throw err;
  }
}
