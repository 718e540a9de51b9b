// Finding a job and the hosts it concerns. A job carries its own targets (a cluster and/or a selector); the
// targeting flags of `job run` and `job schedule` narrow them and never widen them, so a job never reaches a
// host it was not defined for. Unscheduling and collecting go where the job was scheduled.
import { NotFoundError, UsageError, suggest } from '../core/errors.js';
import type { Permission } from '../core/rbac.js';
import type { TargetOptions } from '../core/targets.js';
import type { Job, State } from '../store/schema.js';
import { visibleClusters, type Actor } from './actor.js';

export type CliTargets = TargetOptions & { limit?: string };

export function findJob(state: State, name: string): Job {
  const job = state.jobs.find((j) => j.job_name === name);
  if (!job) throw new NotFoundError('job', name, suggest(name, state.jobs.map((j) => j.job_name)));
  return job;
}

/** The clusters a job may touch: its own, or every cluster when it is not tied to one. */
export function jobClusterIds(state: State, job: Pick<Job, 'cluster_id'>): number[] {
  return job.cluster_id !== null ? [job.cluster_id] : state.clusters.map((c) => c.id);
}

/** Jobs the actor may see: those of clusters it may `permission` in, and fleet-wide jobs for anyone with a role. */
export function jobsVisibleTo(state: State, actor: Actor, permission: Permission = 'read'): Job[] {
  const allowed = visibleClusters(actor, permission);
  return state.jobs.filter((j) => j.cluster_id === null || allowed === 'all' || allowed.has(j.cluster_id));
}

export function clusterNameOf(state: State, clusterId: number | null): string | null {
  if (clusterId === null) return null;
  return state.clusters.find((c) => c.id === clusterId)?.cluster_name ?? `#${clusterId}`;
}

/** The job's own targets narrowed by the flags given (AND). */
export function narrowedTargets(state: State, job: Job, cli: CliTargets): CliTargets {
  const own = clusterNameOf(state, job.cluster_id);
  if (own !== null && cli.cluster !== undefined && cli.cluster !== own) {
    throw new UsageError(`job '${job.job_name}' runs on cluster '${own}'; -c ${cli.cluster} selects none of its hosts`, `drop -c, or use -c ${own}`);
  }
  const selectors = [job.selector, cli.selector].filter((s): s is string => s !== null && s !== undefined);
  return {
    cluster: cli.cluster ?? own ?? undefined,
    selector: selectors.length ? selectors.join(',') : undefined,
    hosts: cli.hosts,
    limit: cli.limit,
  };
}

export function hasTargetFlags(cli: CliTargets): boolean {
  return cli.cluster !== undefined || cli.selector !== undefined || cli.hosts !== undefined || cli.limit !== undefined;
}

/**
 * Where to unschedule or collect: the flags when given (removing is safe anywhere), else the hosts the job is
 * scheduled on (even if they no longer match its targets), else its own targets.
 */
export function scheduledTargets(state: State, job: Job, cli: CliTargets): CliTargets {
  if (hasTargetFlags(cli)) return cli;
  const names = job.scheduled_on.map((s) => state.hosts.find((h) => h.id === s.host_id)?.name).filter((n): n is string => n !== undefined);
  if (names.length > 0) return { hosts: names.join(',') };
  return narrowedTargets(state, job, {});
}
