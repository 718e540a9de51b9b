// The start of every read-only command: one consistent snapshot and the actor it is read for.
import { resolveActor, requirePermission, type Actor } from './actor.js';
import type { Context } from './context.js';
import type { State } from '../store/schema.js';
import type { Permission } from '../core/rbac.js';
import { UsageError } from '../core/errors.js';

export async function beginRead(ctx: Context, permission: Permission = 'read'): Promise<{ state: State; actor: Actor }> {
  const state = await ctx.store.read();
  const actor = resolveActor(state, ctx);
  requirePermission(state, actor, permission, null, ctx.command);
  return { state, actor };
}

/** Destructive actions need a yes from a person, or --yes when no one can be asked. */
export async function confirmOrThrow(ctx: Context, question: string): Promise<void> {
  if (ctx.globals.yes || ctx.globals.dryRun) return;
  if (!ctx.io.stdinIsTTY) throw new UsageError(`${question}: refusing without confirmation`, 'add --yes (-y) to confirm');
  if (!(await ctx.confirm(question))) throw new UsageError('cancelled');
}
