// The executor's isolation rules with an in-memory session: no SSH involved, only the scheduling logic.
import { describe, expect, it } from 'vitest';
import { fanOut } from '../../src/remote/fanout.js';
import { RemoteError } from '../../src/remote/errors.js';
import type { HostSession, HostTarget } from '../../src/remote/session.js';

const target = (name: string, id: number): HostTarget => ({ id, name, ip: `10.0.0.${id}`, port: 22, user: 'root', become: false, cluster_name: 'c', local: false });

function fakeSession(t: HostTarget, closed: string[]): HostSession {
  return {
    target: t,
    run: async () => ({ code: 0, signal: null, stdout: '', stderr: '' }),
    agent: async () => {
      throw new Error('no agent');
    },
    upload: async () => ({ sent: false }),
    close: () => void closed.push(t.name),
  };
}

describe('fan-out', () => {
  it('isolates a hanging and a failing host from the rest, under a deadline', async () => {
    const closed: string[] = [];
    const targets = [target('ok1', 1), target('hang', 2), target('fail', 3), target('ok2', 4)];
    const started = Date.now();
    const outcomes = await fanOut(targets, async (t) => fakeSession(t, closed), async (s) => {
      if (s.target.name === 'hang') await new Promise(() => undefined);
      if (s.target.name === 'fail') throw new RemoteError('fail', 'command', 'boom');
      return s.target.name;
    }, { forks: 2, timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(outcomes.map((o) => [o.target.name, o.ok, o.error?.kind ?? null])).toEqual([
      ['ok1', true, null], ['hang', false, 'timeout'], ['fail', false, 'command'], ['ok2', true, null],
    ]);
    expect([...new Set(closed)].sort()).toEqual(['fail', 'hang', 'ok1', 'ok2']);
  });
  it('respects --forks', async () => {
    let inFlight = 0;
    let peak = 0;
    const targets = Array.from({ length: 10 }, (_, i) => target(`h${i}`, i + 1));
    await fanOut(targets, async (t) => fakeSession(t, []), async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
    }, { forks: 3, timeoutMs: 5000 });
    expect(peak).toBe(3);
  });
  it('stops on abort and marks unstarted hosts interrupted', async () => {
    const abort = new AbortController();
    const targets = Array.from({ length: 4 }, (_, i) => target(`h${i}`, i + 1));
    setTimeout(() => abort.abort(), 50);
    const outcomes = await fanOut(targets, async (t) => fakeSession(t, []), () => new Promise(() => undefined), { forks: 2, timeoutMs: 10_000, signal: abort.signal });
    expect(outcomes.every((o) => !o.ok && o.error?.kind === 'interrupted')).toBe(true);
  });
});
