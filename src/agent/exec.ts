// Running a command on the host: own process group, deadline that kills the whole group, output either
// streamed as events or collected up to a cap (the cap is reported, never silent).
import { spawn } from 'node:child_process';
import type { ExecParams, ExecResult } from './protocol.js';
import { killGroup, track } from './children.js';

export function runCommand(params: ExecParams, emit: (event: string, data: unknown) => void): Promise<ExecResult> {
  const started = Date.now();
  const max = params.max_output ?? 1024 * 1024;
  const [file, args] = typeof params.command === 'string' ? ['/bin/sh', ['-c', params.command]] : [params.command[0]!, params.command.slice(1)];
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: params.cwd,
      env: { ...process.env, ...params.env },
      detached: true, // a process group of its own, so the deadline can end the whole tree
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    track(child);
    let stdout = '';
    let stderr = '';
    let truncated = false;
    let timedOut = false;
    const collect = (which: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (params.stream) emit(which, text);
      const current = which === 'stdout' ? stdout : stderr;
      if (current.length >= max) {
        truncated = true;
        return;
      }
      const room = max - current.length;
      if (text.length > room) truncated = true;
      if (which === 'stdout') stdout += text.slice(0, room);
      else stderr += text.slice(0, room);
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    child.stdin.on('error', () => undefined);
    child.stdin.end(params.stdin ?? '');
    let timer: NodeJS.Timeout | undefined;
    if (params.timeout_ms) {
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(child, 'SIGTERM');
        setTimeout(() => killGroup(child, 'SIGKILL'), 2000).unref();
      }, params.timeout_ms);
    }
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (timer) clearTimeout(timer);
      // Children that outlived the shell (backgrounded) die with the group when the deadline passed.
      if (timedOut) killGroup(child, 'SIGKILL');
      resolve({
        code: spawnError ? 127 : code,
        signal,
        timed_out: timedOut,
        stdout,
        stderr: spawnError ? `${stderr}${spawnError.message}\n` : stderr,
        truncated,
        duration_ms: Date.now() - started,
      });
    };
    child.on('error', (err) => finish(null, null, err));
    child.on('close', (code, signal) => finish(code, signal));
  });
}
