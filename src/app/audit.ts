// Reading and verifying the audit log.
import { UsageError } from '../core/errors.js';
import { readAudit, verifyChain, type AuditRecord, type ChainBreak } from '../store/audit.js';
import { visibleClusters } from './actor.js';
import type { Context } from './context.js';
import { beginRead } from './read.js';

/** `--since` takes an ISO date/time or a relative age such as 30m, 12h, 7d. */
export function parseSince(since: string, now: Date): Date {
  const rel = /^(\d+)([smhdw])$/.exec(since);
  if (rel) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[rel[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(rel[1]) * unit * 1000);
  }
  const t = Date.parse(since);
  if (Number.isNaN(t)) throw new UsageError(`--since '${since}' is neither a date nor an age`, 'use e.g. 2026-11-01, 2026-11-01T12:00:00Z, 30m, 12h or 7d');
  return new Date(t);
}

export async function listAudit(ctx: Context, opts: { since?: string }): Promise<AuditRecord[]> {
  const { state, actor } = await beginRead(ctx);
  const since = opts.since ? parseSince(opts.since, ctx.now()) : null;
  const visible = visibleClusters(actor);
  const visibleNames = visible === 'all' ? null : new Set(state.clusters.filter((c) => visible.has(c.id)).map((c) => c.cluster_name));
  const me = actor.user?.user_name ?? ctx.osUser;
  return (await readAudit(ctx.store.home)).filter((r) => {
    if (since && Date.parse(r.at) < since.getTime()) return false;
    // Without a global grant a user sees the records of their clusters, and their own.
    if (visibleNames && r.who !== me && !r.clusters.some((c) => visibleNames.has(c))) return false;
    return true;
  });
}

export async function verifyAudit(ctx: Context): Promise<{ records: number; ok: boolean; breaks: ChainBreak[] }> {
  await beginRead(ctx);
  const records = await readAudit(ctx.store.home);
  const breaks = verifyChain(records);
  return { records: records.length, ok: breaks.length === 0, breaks };
}
