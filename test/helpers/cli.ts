// Runs the real built CLI as a child process, the way users and CI pipelines do.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binPath = path.join(repoRoot, 'bin', 'promanager');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  home?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  /** run as another OS user via runuser (root only) */
  runAs?: string;
}

export function tempHome(prefix = 'pm-home-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PROMANAGER_') && k !== 'SUDO_USER') env[k] = v;
  env.NO_COLOR = '1';
  if (opts.home) env.PROMANAGER_HOME = opts.home;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const [cmd, argv] = opts.runAs
    ? ['runuser', ['-u', opts.runAs, '--', process.execPath, binPath, ...args]]
    : [process.execPath, [binPath, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env, cwd: opts.cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** runCli that fails the test with the output when the exit code is not the expected one. */
export async function runOk(args: string[], opts: CliOptions = {}, expected = 0): Promise<CliResult> {
  const r = await runCli(args, opts);
  if (r.code !== expected) {
    throw new Error(`promanager ${args.join(' ')} exited ${r.code}, expected ${expected}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r;
}
