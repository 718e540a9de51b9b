// Running a command across hosts: select the targets the actor may act on, open sessions, fan out, then
// record what happened in one locked update (results, pinned host keys, the failed set for --limit @failed)
// with an audit record. Ctrl-C ends every remote process, records the interruption, and exits 130.
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { ExitCode, PermissionDeniedError, PromanagerError } from '../core/errors.js';
import { recordAudit } from './transaction.js';
import type { Permission } from '../core/rbac.js';
import { selectTargets, type TargetOptions } from '../core/targets.js';
import { appendAudit, type AuditResult } from '../store/audit.js';
import { findCluster, nextId } from '../store/fleet.js';
import type { State } from '../store/schema.js';
import { CredentialStore, type Prompter } from '../remote/credentials.js';
import { createConnector } from '../remote/connector.js';
import { fanOut, type FanoutEvent, type HostOutcome } from '../remote/fanout.js';
import { RemoteError } from '../remote/errors.js';
import { fingerprintSha256, keyTypeOfBlob, knownHostName } from '../remote/knownhosts.js';
import { Limiter } from '../remote/limiter.js';
import type { HostSession, HostTarget } from '../remote/session.js';
import { requirePermission, resolveActor, type Actor } from './actor.js';
import type { Context } from './context.js';
import { loadFleet, type HostView } from './fleet-view.js';
import { failedHostsOf, recordLastRun } from './last-run.js';

export const EXIT_INTERRUPTED = 130;

export interface RemoteSpec<R> {
  permission: Permission;
  targets: TargetOptions & { limit?: string };
  /** changes hosts or state: audited */
  mutating: boolean;
  /** default per-host deadline when --timeout is not given, seconds */
  defaultTimeoutS?: number;
  work(session: HostSession, host: HostView, signal: AbortSignal): Promise<R>;
  /** a message when a result that came back counts as a failure (e.g. a non-zero exit code) */
  judge?(result: R): string | null;
  /** applied to a fresh state under the lock after the run */
  persist?(state: State, outcomes: Array<HostOutcome<R> & { host: HostView }>, now: string): void;
  onEvent?(event: FanoutEvent<R>, host: HostView): void;
  /** roll out in batches of this many hosts, stopping after the first batch with a failure */
  serial?: number;
  /** a command's own exit code once every host succeeded (fim check: 5 on drift), recorded in the audit too */
  successExitCode?(results: R[]): number;
}

export interface RemoteRun<R> {
  outcomes: Array<HostOutcome<R> & { host: HostView; failure: string | null }>;
  exitCode: number;
  interrupted: boolean;
}

export function hostTarget(ctx: Context, h: HostView): HostTarget {
  const conn = h.vars.connection ?? h.vars.ansible_connection;
  return {
    id: h.id,
    name: h.name,
    ip: h.ip,
    port: h.ssh.port ?? 22,
    user: h.ssh.user ?? os.userInfo().username,
    keyFile: h.ssh.key,
    become: Boolean(h.ssh.become) || ctx.globals.become,
    cluster_name: h.cluster_name,
    local: conn === 'local',
  };
}

/** Resolves the hosts a remote command will touch, checking the actor may do `permission` on each. */
export async function resolveTargets(ctx: Context, permission: Permission, targets: TargetOptions & { limit?: string }): Promise<{ state: State; actor: Actor; hosts: HostView[] }> {
  const state = await ctx.store.read();
  const actor = resolveActor(state, ctx);
  const fleet = await loadFleet(ctx, state, actor, 'read');
  if (targets.cluster) findCluster(fleet.state, targets.cluster);
  const limitFailed = targets.limit ? failedHostsOf(state, ctx, targets.limit) : undefined;
  const hosts = selectTargets(fleet.hosts, { ...targets, limitFailed });
  const clusterIds = [...new Set(hosts.map((h) => h.cluster_id))];
  requirePermission(fleet.state, actor, permission, clusterIds.length ? clusterIds : null, ctx.command);
  if (hosts.length === 0) {
    throw new PromanagerError('no hosts match the targets given', { hint: 'see promanager host list with the same -c/-l/--hosts flags' });
  }
  return { state, actor, hosts };
}

export function makePrompter(ctx: Context): Prompter {
  return { secret: (question) => ctx.secret(question) };
}

export async function runRemote<R>(ctx: Context, spec: RemoteSpec<R>): Promise<RemoteRun<R>> {
  let resolved: Awaited<ReturnType<typeof resolveTargets>>;
  try {
    resolved = await resolveTargets(ctx, spec.permission, spec.targets);
  } catch (err) {
    // A refused change is audited like any other attempt.
    if (spec.mutating && err instanceof PermissionDeniedError) {
      await recordAudit(ctx, null, { clusters: spec.targets.cluster ? [spec.targets.cluster] : [], hosts: [] }, 'denied', ExitCode.denied, err.message).catch(() => undefined);
    }
    throw err;
  }
  const { state, actor, hosts } = resolved;
  const byId = new Map(hosts.map((h) => [h.id, h]));
  const newKeys: Array<{ host: string; key_type: string; key: string; fingerprint: string }> = [];
  const askOne = new Limiter(1);
  const timeoutS = ctx.globals.timeout ?? spec.defaultTimeoutS ?? 120;
  const connect = await createConnector({
    credentials: new CredentialStore(makePrompter(ctx)),
    home: ctx.store.home,
    knownHostsFile: ctx.globals.knownHosts,
    pinned: state.host_keys.map((k) => ({ host: k.host, key_type: k.key_type, key: k.key })),
    acceptUnknown: (target, fingerprint, keyType) => askOne.run(async () => {
      if (ctx.globals.acceptNewHostKeys) return true;
      if (!ctx.io.stdinIsTTY) return false;
      return ctx.confirm(`${target.name} (${target.host}) presents an unknown ${keyType} key ${fingerprint}; trust and pin it`);
    }),
    onAccepted: (target, blob) => newKeys.push({ host: knownHostName(target.host, target.port), key_type: keyTypeOfBlob(blob), key: blob.toString('base64'), fingerprint: fingerprintSha256(blob) }),
    // Key exchanges are the costly part of a connection: bounded apart from --forks so that many handshakes at
    // once do not starve the hosts already working. One connection per host never exceeds a server's MaxStartups.
    handshakes: Math.min(20, ctx.globals.forks),
    readyTimeoutMs: Math.min(timeoutS, 20) * 1000,
  });

  const abort = new AbortController();
  // One listener per host on the run's signal is by design, not a leak.
  setMaxListeners(0, abort.signal);
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const raw: HostOutcome<R>[] = [];
  const targets = hosts.map((h) => hostTarget(ctx, h));
  const batchSize = spec.serial && spec.serial > 0 ? spec.serial : targets.length;
  try {
    for (let i = 0; i < targets.length; i += batchSize) {
      const batch = targets.slice(i, i + batchSize);
      const stopped = raw.some((o) => !o.ok || (o.result !== null && spec.judge?.(o.result)));
      if (stopped || abort.signal.aborted) {
        for (const target of batch) {
          const skipped = { target, ok: false, result: null, duration_ms: 0, error: new RemoteError(target.name, 'skipped', `${target.name}: not attempted: the rollout stopped after a failed batch`) };
          raw.push(skipped);
          spec.onEvent?.({ type: 'done', outcome: skipped }, byId.get(target.id)!);
        }
        continue;
      }
      raw.push(...await fanOut(batch, connect, (session, signal) => spec.work(session, byId.get(session.target.id)!, signal), {
        forks: ctx.globals.forks,
        timeoutMs: timeoutS * 1000,
        signal: abort.signal,
        onEvent: (event) => spec.onEvent?.(event, byId.get(event.type === 'start' ? event.target.id : event.outcome.target.id)!),
      }));
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const interrupted = abort.signal.aborted;
  const outcomes = raw.map((o) => {
    const failure = o.ok && o.result !== null && spec.judge ? spec.judge(o.result) : o.error?.message ?? null;
    return { ...o, host: byId.get(o.target.id)!, ok: o.ok && failure === null, failure };
  });
  const failed = outcomes.filter((o) => !o.ok);
  const allOk = interrupted ? EXIT_INTERRUPTED : failed.length === 0 ? ExitCode.ok : failed.length === outcomes.length ? ExitCode.error : ExitCode.partial;
  const exitCode = allOk === ExitCode.ok && spec.successExitCode ? spec.successExitCode(outcomes.map((o) => o.result!)) : allOk;
  const result: AuditResult = interrupted ? 'interrupted' : exitCode === ExitCode.ok ? 'ok' : exitCode === ExitCode.drift ? 'drift' : exitCode === ExitCode.partial ? 'partial' : 'error';

  await ctx.store.withLock(async () => {
    const fresh = await ctx.store.read();
    const now = ctx.now().toISOString();
    if (!ctx.globals.dryRun) spec.persist?.(fresh, outcomes, now);
    recordLastRun(fresh, ctx.command, failed.map((o) => o.host.name), now);
    for (const k of newKeys) {
      if (fresh.host_keys.some((p) => p.host === k.host && p.key === k.key)) continue;
      fresh.host_keys.push({ id: nextId(fresh.host_keys), ...k, create_user: actor.user?.id ?? null, create_at: now, update_at: now });
    }
    await ctx.store.write(fresh);
    if (spec.mutating || newKeys.length > 0 || interrupted) {
      await appendAudit(ctx.store.home, {
        who: ctx.osUser,
        as: actor.asUser,
        command: ctx.command,
        args: ctx.argv,
        clusters: [...new Set(hosts.map((h) => h.cluster_name))],
        hosts: hosts.map((h) => h.name),
        result,
        exit_code: exitCode,
        message: [
          failed.length ? `failed: ${failed.map((o) => o.host.name).join(',')}` : null,
          newKeys.length ? `pinned host keys: ${newKeys.map((k) => `${k.host} ${k.fingerprint}`).join(', ')}` : null,
        ].filter(Boolean).join('; ') || null,
      }, ctx.now());
    }
  });
  return { outcomes, exitCode, interrupted };
}
