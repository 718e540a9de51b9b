// Users and their roles (the Role-User-Cluster table).
import { ConflictError, PromanagerError, UsageError, suggest, NotFoundError } from '../core/errors.js';
import { findCluster, nextId } from '../store/fleet.js';
import type { RoleName, State, User } from '../store/schema.js';
import { visibleClusters } from './actor.js';
import type { Context } from './context.js';
import { beginRead, confirmOrThrow } from './read.js';
import { transact } from './transaction.js';

const ROLE_NAMES: RoleName[] = ['sysadmin', 'bizadmin', 'user'];

export function findUser(state: State, name: string): User {
  const user = state.users.find((u) => u.user_name === name);
  if (!user) throw new NotFoundError('user', name, suggest(name, state.users.map((u) => u.user_name)));
  return user;
}

export async function addUser(ctx: Context, name: string, opts: { phone?: string; description?: string }): Promise<User> {
  if (!/^[a-z_][a-z0-9_.-]{0,31}\$?$/i.test(name)) {
    throw new PromanagerError(`invalid user name '${name}'`, { exitCode: 2, hint: 'use the operating-system user name the person logs in with' });
  }
  if (opts.phone !== undefined && !/^\+?[0-9][0-9 ()-]{2,30}$/.test(opts.phone)) {
    throw new PromanagerError(`invalid phone '${opts.phone}'`, { exitCode: 2, hint: 'digits, spaces, "-", "(", ")" and an optional leading "+"' });
  }
  return transact(ctx, (tx) => {
    tx.require('admin', null);
    if (tx.state.users.some((u) => u.user_name === name)) throw new ConflictError(`user '${name}' already exists`);
    if (opts.phone !== undefined) {
      const owner = tx.state.users.find((u) => u.phone === opts.phone);
      if (owner) throw new ConflictError(`phone ${opts.phone} already belongs to user '${owner.user_name}'`, { hint: 'phone numbers are unique' });
    }
    const user: User = { id: nextId(tx.state.users), user_name: name, phone: opts.phone ?? null, description: opts.description ?? '', create_at: tx.now, update_at: tx.now };
    tx.state.users.push(user);
    return user;
  });
}

export interface UserRow extends User {
  roles: string[];
}

export async function listUsers(ctx: Context): Promise<UserRow[]> {
  const { state } = await beginRead(ctx);
  const bindings = describeBindings(state);
  return state.users.map((u) => ({ ...u, roles: bindings.filter((b) => b.user_name === u.user_name).map((b) => `${b.role_name}@${b.cluster_name}`) }));
}

export async function removeUser(ctx: Context, name: string): Promise<{ user_name: string }> {
  await confirmOrThrow(ctx, `remove user '${name}' and all of their role bindings`);
  return transact(ctx, (tx) => {
    tx.require('admin', null);
    const user = findUser(tx.state, name);
    tx.state.role_user_cluster = tx.state.role_user_cluster.filter((b) => b.user_id !== user.id);
    assertSysadminRemains(tx.state);
    tx.state.users = tx.state.users.filter((u) => u.id !== user.id);
    return { user_name: name };
  });
}

export interface BindingRow {
  id: number;
  user_name: string;
  role_name: RoleName;
  /** '*' for a grant over every cluster */
  cluster_name: string;
  create_at: string;
}

function describeBindings(state: State): BindingRow[] {
  const users = new Map(state.users.map((u) => [u.id, u.user_name]));
  const roles = new Map(state.roles.map((r) => [r.id, r.role_name as RoleName]));
  const clusters = new Map(state.clusters.map((c) => [c.id, c.cluster_name]));
  return state.role_user_cluster.map((b) => ({
    id: b.id,
    user_name: users.get(b.user_id) ?? `#${b.user_id}`,
    role_name: roles.get(b.role_id) ?? 'user',
    cluster_name: b.cluster_id === null ? '*' : (clusters.get(b.cluster_id) ?? `#${b.cluster_id}`),
    create_at: b.create_at,
  }));
}

function parseRole(role: string): RoleName {
  if (!ROLE_NAMES.includes(role as RoleName)) {
    throw new UsageError(`unknown role '${role}'`, `roles are ${ROLE_NAMES.join(', ')}`);
  }
  return role as RoleName;
}

export async function grantRole(ctx: Context, userName: string, role: string, cluster?: string): Promise<BindingRow> {
  const roleName = parseRole(role);
  if (roleName === 'sysadmin' && cluster) throw new UsageError('sysadmin is a role over every cluster; grant it without --cluster');
  return transact(ctx, (tx) => {
    tx.require('admin', null);
    const user = findUser(tx.state, userName);
    const clusterId = cluster ? findCluster(tx.state, cluster).id : null;
    const roleId = tx.state.roles.find((r) => r.role_name === roleName)!.id;
    if (tx.state.role_user_cluster.some((b) => b.user_id === user.id && b.role_id === roleId && b.cluster_id === clusterId)) {
      throw new ConflictError(`${userName} already has ${roleName} in ${cluster ? `cluster '${cluster}'` : 'every cluster'}`);
    }
    const id = nextId(tx.state.role_user_cluster);
    tx.state.role_user_cluster.push({ id, role_id: roleId, user_id: user.id, cluster_id: clusterId, create_at: tx.now, update_at: tx.now });
    if (cluster) tx.touch({ clusters: [cluster] });
    return describeBindings(tx.state).find((b) => b.id === id)!;
  });
}

export async function revokeRole(ctx: Context, userName: string, role: string, cluster?: string): Promise<{ revoked: number }> {
  const roleName = parseRole(role);
  return transact(ctx, (tx) => {
    tx.require('admin', null);
    const user = findUser(tx.state, userName);
    const clusterId = cluster ? findCluster(tx.state, cluster).id : null;
    const roleId = tx.state.roles.find((r) => r.role_name === roleName)!.id;
    const before = tx.state.role_user_cluster.length;
    tx.state.role_user_cluster = tx.state.role_user_cluster.filter((b) => !(b.user_id === user.id && b.role_id === roleId && b.cluster_id === clusterId));
    const revoked = before - tx.state.role_user_cluster.length;
    if (revoked === 0) throw new PromanagerError(`${userName} has no ${roleName} grant in ${cluster ? `cluster '${cluster}'` : 'every cluster'}`, { hint: 'see promanager role list' });
    assertSysadminRemains(tx.state);
    if (cluster) tx.touch({ clusters: [cluster] });
    return { revoked };
  });
}

export async function listRoles(ctx: Context): Promise<BindingRow[]> {
  const { state, actor } = await beginRead(ctx);
  const visible = visibleClusters(actor);
  const clusterIds = new Map(state.clusters.map((c) => [c.cluster_name, c.id]));
  return describeBindings(state).filter((b) => visible === 'all' || b.cluster_name === '*' || visible.has(clusterIds.get(b.cluster_name) ?? -1));
}

/** Locking everyone out of user and role management cannot be undone from the CLI, so it is refused. */
function assertSysadminRemains(state: State): void {
  const sysadminRole = state.roles.find((r) => r.role_name === 'sysadmin')!.id;
  if (!state.role_user_cluster.some((b) => b.role_id === sysadminRole)) {
    throw new PromanagerError('refusing to remove the last sysadmin', { hint: 'grant sysadmin to another user first' });
  }
}

export async function whoami(ctx: Context): Promise<Record<string, unknown>> {
  const state = await ctx.store.read();
  const user = state.users.find((u) => u.user_name === ctx.osUser) ?? null;
  const bindings = describeBindings(state).filter((b) => b.user_name === ctx.osUser);
  return {
    os_user: ctx.osUser,
    user_name: user?.user_name ?? null,
    known: user !== null,
    roles: bindings.map((b) => `${b.role_name}@${b.cluster_name}`),
    note: user ? null : state.users.length === 0 ? 'no users yet: your first change makes you a sysadmin' : 'not a promanager user: ask a sysadmin to add you',
  };
}
