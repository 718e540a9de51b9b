// The one way a command changes the state: under the lock, on a fresh read, with the permission checked on
// that same read, the result validated and written atomically, and an audit record appended (also when the
// command is refused or fails) before the lock is released.
import { PermissionDeniedError, PromanagerError, ExitCode } from '../core/errors.js';
import type { Permission } from '../core/rbac.js';
import { appendAudit, type AuditResult } from '../store/audit.js';
import { nextId } from '../store/fleet.js';
import { stateSchema, type State } from '../store/schema.js';
import { actorName, requirePermission, resolveActor, type Actor } from './actor.js';
import type { Context } from './context.js';

export interface Tx {
  state: State;
  actor: Actor;
  now: string;
  /** The acting user's id for create_user fields (the bootstrap user once created). */
  userId: number | null;
  require(permission: Permission, clusterIds: number[] | null): void;
  /** Records what the command touched, for the audit log. */
  touch(targets: { clusters?: string[]; hosts?: string[] }): void;
}

export interface AuditTargets {
  clusters: string[];
  hosts: string[];
}

export async function transact<T>(ctx: Context, change: (tx: Tx) => T | Promise<T>): Promise<T> {
  const { store } = ctx;
  return store.withLock(async () => {
    const targets: AuditTargets = { clusters: [], hosts: [] };
    let actor: Actor | null = null;
    try {
      const state = await store.read();
      actor = resolveActor(state, ctx);
      const now = ctx.now().toISOString();
      const userId = actor.bootstrap ? bootstrapSysadmin(state, ctx.osUser, now) : (actor.user?.id ?? null);
      const resolved = actor;
      const tx: Tx = {
        state, actor: resolved, now, userId,
        require: (permission, clusterIds) => requirePermission(state, resolved, permission, clusterIds, ctx.command),
        touch: (t) => {
          for (const c of t.clusters ?? []) if (!targets.clusters.includes(c)) targets.clusters.push(c);
          for (const h of t.hosts ?? []) if (!targets.hosts.includes(h)) targets.hosts.push(h);
        },
      };
      const result = await change(tx);
      if (ctx.globals.dryRun) return result;
      const checked = stateSchema.safeParse(state);
      if (!checked.success) throw new PromanagerError(`internal error: refusing to write an invalid state (${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message})`);
      await store.write(checked.data);
      await audit(ctx, actor, targets, 'ok', ExitCode.ok, null);
      return result;
    } catch (err) {
      if (!ctx.globals.dryRun) {
        const denied = err instanceof PermissionDeniedError;
        const code = err instanceof PromanagerError ? err.exitCode : ExitCode.error;
        await audit(ctx, actor, targets, denied ? 'denied' : 'error', code, (err as Error).message).catch(() => undefined);
      }
      throw err;
    }
  });
}

/** Appends an audit record for a command whose changes were made elsewhere (remote work). Takes the lock. */
export async function recordAudit(ctx: Context, actor: Actor | null, targets: AuditTargets, result: AuditResult, exitCode: number, message: string | null): Promise<void> {
  await ctx.store.withLock(() => audit(ctx, actor, targets, result, exitCode, message));
}

async function audit(ctx: Context, actor: Actor | null, targets: AuditTargets, result: AuditResult, exitCode: number, message: string | null): Promise<void> {
  await appendAudit(ctx.store.home, {
    who: ctx.osUser,
    as: actor?.asUser ?? null,
    command: ctx.command,
    args: ctx.argv,
    clusters: targets.clusters,
    hosts: targets.hosts,
    result,
    exit_code: exitCode,
    message: message === null ? null : message.split('\n')[0]!.slice(0, 500),
  }, ctx.now());
}

/** The first identity to change anything in an empty state becomes a sysadmin (cli.md, Roles). */
function bootstrapSysadmin(state: State, osUser: string, now: string): number {
  const id = nextId(state.users);
  state.users.push({ id, user_name: osUser, phone: null, description: 'first user (bootstrap sysadmin)', create_at: now, update_at: now });
  const role = state.roles.find((r) => r.role_name === 'sysadmin');
  if (!role) throw new PromanagerError('state has no sysadmin role; the roles table was edited by hand');
  state.role_user_cluster.push({ id: nextId(state.role_user_cluster), role_id: role.id, user_id: id, cluster_id: null, create_at: now, update_at: now });
  return id;
}

export { actorName };
