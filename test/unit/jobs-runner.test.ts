// The host-side job runner with real processes on this machine: exit codes, streamed output, the cap, the
// timeout ending the whole process group, and nothing left running after a run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobSpec, OutputEvent } from '../../src/agent/jobs-protocol.js';
import { interpreterArgv, runJobScript, TAIL_BYTES } from '../../src/agent/jobs-runner.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pm-jobs-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function script(body: string): string {
  const file = path.join(dir, `s${++n}`);
  writeFileSync(file, body);
  return file;
}

const spec = (over: Partial<JobSpec> = {}): JobSpec => ({
  job: 'unit', version: 2, script_sha256: '0'.repeat(64), interpreter: '/bin/sh', args: [], env: {},
  timeout_s: 30, run_as: null, max_output_bytes: 1024 * 1024, ...over,
});

/** Live processes whose command line mentions `marker` (the sleeps below carry unusual durations as markers). */
function running(marker: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(marker) && !/^\s*Z/.test(l) && !l.includes('ps -eo'));
}

describe('interpreterArgv', () => {
  it('reads a shebang the way the kernel does: a path and at most one argument', () => {
    expect(interpreterArgv('/bin/sh')).toEqual(['/bin/sh']);
    expect(interpreterArgv(' /usr/bin/env python3 ')).toEqual(['/usr/bin/env', 'python3']);
    expect(interpreterArgv('/usr/bin/env -S bash -eu')).toEqual(['/usr/bin/env', '-S bash -eu']);
  });
});

describe('runJobScript', () => {
  it('runs the script with its arguments and a fixed environment, streaming output as it comes', async () => {
    const events: OutputEvent[] = [];
    const file = script('echo "args: $1 $2"; echo "job=$PROMANAGER_JOB v=$PROMANAGER_JOB_VERSION greeting=$GREETING path=$PATH"; echo oops >&2; exit 3\n');
    const r = await runJobScript(spec({ args: ['a b', 'c'], env: { GREETING: 'hi' } }), file, (e) => events.push(e));
    expect(r).toMatchObject({ exit_code: 3, signal: null, timed_out: false, truncated: false, tail: '' });
    expect(r.head).toContain('args: a b c\n');
    expect(r.head).toContain('job=unit v=2 greeting=hi path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
    expect(events.filter((e) => e.stream === 'stderr').map((e) => e.text).join('')).toBe('oops\n');
    expect(r.output_bytes).toBe(Buffer.byteLength(r.head));
    expect(Date.parse(r.ended_at) - Date.parse(r.started_at)).toBe(r.duration_ms);
  });

  it('uses the interpreter given, with its argument', async () => {
    const r = await runJobScript(spec({ interpreter: '/usr/bin/env node' }), script('console.log(1 + 1)\n'));
    expect(r).toMatchObject({ exit_code: 0, head: '2\n' });
  });

  it('reports an interpreter that is not there as exit 127 with the reason', async () => {
    const r = await runJobScript(spec({ interpreter: '/nonexistent/python9' }), script('print(1)\n'));
    expect(r.exit_code).toBe(127);
    expect(r.head).toMatch(/cannot start \/nonexistent\/python9: .*ENOENT/);
  });

  it('ends the whole process group at the timeout, leaving nothing behind', async () => {
    const started = Date.now();
    const r = await runJobScript(spec({ timeout_s: 1 }), script('echo begin; sleep 317 & sleep 316; wait\n'));
    expect(Date.now() - started).toBeLessThan(6000);
    expect(r).toMatchObject({ timed_out: true, exit_code: null, signal: 'SIGTERM', head: 'begin\n' });
    expect(running('sleep 31')).toEqual([]);
  });

  it('kills a script that ignores SIGTERM after the grace period', async () => {
    const r = await runJobScript(spec({ timeout_s: 1 }), script("trap '' TERM; echo stubborn; sleep 315\n"));
    expect(r).toMatchObject({ timed_out: true });
    expect(running('sleep 315')).toEqual([]);
  });

  it('ends what a script left running in its group when the script exits', async () => {
    const started = Date.now();
    const r = await runJobScript(spec(), script('sleep 314 &\necho left a child\n'));
    expect(r).toMatchObject({ exit_code: 0, timed_out: false, head: 'left a child\n' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(running('sleep 314')).toEqual([]);
  });

  it('keeps the first max_output_bytes and the tail of megabytes of output, counting all of it', async () => {
    let streamed = 0;
    const r = await runJobScript(spec({ max_output_bytes: 100_000 }), script("head -c 3000000 /dev/zero | tr '\\0' x; echo; echo THE-END\n"), (e) => (streamed += Buffer.byteLength(e.text)));
    expect(r.exit_code).toBe(0);
    expect(r.output_bytes).toBe(3_000_000 + 1 + 8);
    expect(r.truncated).toBe(true);
    expect(Buffer.byteLength(r.head)).toBe(100_000);
    expect(streamed).toBe(100_000);
    expect(Buffer.byteLength(r.tail)).toBe(TAIL_BYTES);
    expect(r.tail.endsWith('\nTHE-END\n')).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)('runs as another user from a private copy that is removed afterwards', async () => {
    const before = readdirSync(os.tmpdir()).filter((f) => f.startsWith('promanager-job-'));
    const r = await runJobScript(spec({ run_as: 'nobody' }), script('id -un; echo "home=$HOME user=$USER"\n'));
    expect(r.exit_code).toBe(0);
    expect(r.head).toMatch(/^nobody\nhome=\/nonexistent user=nobody\n$/);
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith('promanager-job-'))).toEqual(before);
    const missing = await runJobScript(spec({ run_as: 'no-such-user-x' }), script('true\n'));
    expect(missing.exit_code).toBe(126);
    expect(missing.head).toContain("run-as user 'no-such-user-x' does not exist");
  });
});
