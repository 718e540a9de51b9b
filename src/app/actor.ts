// Turns the OS identity into a promanager user with grants, and answers permission questions with a denial
// that names the role needed.
import { PermissionDeniedError, PromanagerError } from '../core/errors.js';
import { allows, clustersAllowed, neededRole, type Grant, type Permission } from '../core/rbac.js';
import type { RoleName, State, User } from '../store/schema.js';
import type { Context } from './context.js';

export interface Actor {
  /** The user the command acts as (after --as); null only while the state has no users at all. */
  user: User | null;
  osUser: string;
  asUser: string | null;
  grants: Grant[];
  /** The state has no users: the first mutating command makes this identity a sysadmin. */
  bootstrap: boolean;
}

export function grantsOf(state: State, userId: number): Grant[] {
  const roleName = new Map(state.roles.map((r) => [r.id, r.role_name as RoleName]));
  return state.role_user_cluster
    .filter((b) => b.user_id === userId)
    .map((b) => ({ role: roleName.get(b.role_id) ?? 'user', clusterId: b.cluster_id }));
}

export function resolveActor(state: State, ctx: Pick<Context, 'osUser' | 'globals'>): Actor {
  if (state.users.length === 0) {
    if (ctx.globals.as) throw new PromanagerError(`--as ${ctx.globals.as}: there are no promanager users yet`);
    return { user: null, osUser: ctx.osUser, asUser: null, grants: [{ role: 'sysadmin', clusterId: null }], bootstrap: true };
  }
  const me = state.users.find((u) => u.user_name === ctx.osUser);
  if (!me) {
    throw new PermissionDeniedError(`you (operating-system user '${ctx.osUser}') are not a promanager user`, `a sysadmin can add you: promanager user add ${ctx.osUser} && promanager role grant ${ctx.osUser} user --cluster <cluster>`);
  }
  const myGrants = grantsOf(state, me.id);
  if (!ctx.globals.as) return { user: me, osUser: ctx.osUser, asUser: null, grants: myGrants, bootstrap: false };
  if (!myGrants.some((g) => g.role === 'sysadmin')) {
    throw new PermissionDeniedError(`--as is honoured only for a sysadmin; '${me.user_name}' is not one`, 'drop --as, or ask a sysadmin');
  }
  const other = state.users.find((u) => u.user_name === ctx.globals.as);
  if (!other) throw new PromanagerError(`--as: no promanager user '${ctx.globals.as}'`, { exitCode: 2 });
  return { user: other, osUser: ctx.osUser, asUser: other.user_name, grants: grantsOf(state, other.id), bootstrap: false };
}

export function actorName(actor: Actor): string {
  return actor.user?.user_name ?? actor.osUser;
}

/**
 * Throws a denial unless the actor may do `permission` in every one of `clusterIds` (null: not tied to a
 * cluster). `what` is the command, for the message.
 */
export function requirePermission(state: State, actor: Actor, permission: Permission, clusterIds: number[] | null, what: string): void {
  const need = neededRole(permission);
  if (clusterIds === null) {
    if (!allows(actor.grants, permission, null)) {
      throw new PermissionDeniedError(`permission denied: '${what}' needs the ${need} role${permission === 'admin' ? '' : ' in some cluster'}; ${actorName(actor)} has ${describeGrants(state, actor.grants)}`,
        `ask a sysadmin: promanager role grant ${actorName(actor)} ${need}${permission === 'admin' ? '' : ' --cluster <cluster>'}`);
    }
    return;
  }
  for (const clusterId of clusterIds) {
    if (!allows(actor.grants, permission, clusterId)) {
      const name = state.clusters.find((c) => c.id === clusterId)?.cluster_name ?? `#${clusterId}`;
      throw new PermissionDeniedError(`permission denied: '${what}' needs the ${need} role in cluster '${name}'; ${actorName(actor)} has ${describeGrants(state, actor.grants)}`,
        `ask a sysadmin: promanager role grant ${actorName(actor)} ${need} --cluster ${name}`);
    }
  }
}

/** Cluster ids the actor may see (read) or act on (operate); 'all' for global grants. */
export function visibleClusters(actor: Actor, permission: Permission = 'read'): 'all' | Set<number> {
  return clustersAllowed(actor.grants, permission);
}

export function describeGrants(state: State, grants: Grant[]): string {
  if (grants.length === 0) return 'no role';
  return grants
    .map((g) => (g.clusterId === null ? `${g.role} (all clusters)` : `${g.role} in '${state.clusters.find((c) => c.id === g.clusterId)?.cluster_name ?? g.clusterId}'`))
    .join(', ');
}
