// The fan-out executor: every targeted host worked on with bounded concurrency (--forks), each under its own
// deadline, isolated from the others: a host that fails or hangs never stops or delays the rest. Results are
// values per host; the caller decides the exit code.
import { RemoteError } from './errors.js';
import { Limiter } from './limiter.js';
import type { HostSession, HostTarget } from './session.js';

export interface HostOutcome<R> {
  target: HostTarget;
  ok: boolean;
  result: R | null;
  error: RemoteError | null;
  duration_ms: number;
}

export type FanoutEvent<R> =
  | { type: 'start'; target: HostTarget }
  | { type: 'done'; outcome: HostOutcome<R> };

export interface FanoutOptions<R> {
  forks: number;
  /** per-host deadline, connection included */
  timeoutMs: number;
  signal?: AbortSignal;
  onEvent?: (event: FanoutEvent<R>) => void;
}

export type Connect = (target: HostTarget, signal: AbortSignal) => Promise<HostSession>;

function asRemoteError(target: HostTarget, err: unknown): RemoteError {
  if (err instanceof RemoteError) return err;
  return new RemoteError(target.name, 'command', err instanceof Error ? err.message : String(err));
}

export async function fanOut<R>(targets: HostTarget[], connect: Connect, work: (session: HostSession, signal: AbortSignal) => Promise<R>, opts: FanoutOptions<R>): Promise<HostOutcome<R>[]> {
  const forks = new Limiter(Math.max(1, opts.forks));
  return Promise.all(targets.map((target) => forks.run(() => runOne(target, connect, work, opts))));
}

async function runOne<R>(target: HostTarget, connect: Connect, work: (session: HostSession, signal: AbortSignal) => Promise<R>, opts: FanoutOptions<R>): Promise<HostOutcome<R>> {
  const started = Date.now();
  const finish = (outcome: Omit<HostOutcome<R>, 'duration_ms' | 'target'>): HostOutcome<R> => {
    const full = { target, ...outcome, duration_ms: Date.now() - started };
    opts.onEvent?.({ type: 'done', outcome: full });
    return full;
  };
  if (opts.signal?.aborted) return finish({ ok: false, result: null, error: new RemoteError(target.name, 'interrupted', `${target.name}: not started, interrupted`) });
  opts.onEvent?.({ type: 'start', target });
  const hostAbort = new AbortController();
  let session: HostSession | null = null;
  let timer: NodeJS.Timeout | undefined;
  const stop = (reason: RemoteError) => {
    hostAbort.abort(reason);
    session?.close();
  };
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new RemoteError(target.name, 'timeout', `${target.name}: no result within the ${Math.round(opts.timeoutMs / 1000)} s deadline`, 'raise --timeout if the host is just slow');
      stop(err);
      reject(err);
    }, opts.timeoutMs);
  });
  const onAbort = () => stop(new RemoteError(target.name, 'interrupted', `${target.name}: interrupted`));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const interrupted = new Promise<never>((_, reject) => {
    hostAbort.signal.addEventListener('abort', () => reject(hostAbort.signal.reason as Error), { once: true });
  });
  deadline.catch(() => undefined);
  interrupted.catch(() => undefined);
  try {
    const result = await Promise.race([
      (async () => {
        session = await connect(target, hostAbort.signal);
        if (hostAbort.signal.aborted) session.close();
        return work(session, hostAbort.signal);
      })(),
      deadline,
      interrupted,
    ]);
    return finish({ ok: true, result, error: null });
  } catch (err) {
    return finish({ ok: false, result: null, error: asRemoteError(target, err) });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    (session as HostSession | null)?.close();
  }
}
