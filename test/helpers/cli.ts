// Runs the real built CLI as a child process, the way users and CI pipelines do.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
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

let staged: string | null = null;

/**
 * A copy of what the CLI runs (bin, dist, templates, inventory, package.json and the production
 * dependencies) in a 0755 directory, for tests that run it as another OS user: the checkout itself may sit
 * under a 0700 directory (root's home), where that user cannot read it. Made once per test process.
 */
export function stagedCliRoot(): string {
  if (staged) return staged;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pm-staged-cli-'));
  chmodSync(dir, 0o755);
  for (const entry of ['bin', 'dist', 'templates', 'inventory', 'package.json']) cpSync(path.join(repoRoot, entry), path.join(dir, entry), { recursive: true, dereference: true });
  // npm ls exits non-zero over an extraneous package; the list it prints is still the one wanted.
  const listed = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).stdout ?? '';
  const deps = listed.split('\n').filter((p) => p.startsWith(repoRoot) && p !== repoRoot).map((p) => path.relative(repoRoot, p))
    .filter((rel) => !rel.includes(`node_modules${path.sep}`, rel.indexOf('node_modules') + 1)); // nested ones come with their parent
  if (deps.length === 0) deps.push('node_modules');
  for (const rel of deps) cpSync(path.join(repoRoot, rel), path.join(dir, rel), { recursive: true, dereference: true });
  // Readable for everyone, whatever the umask of the run that staged it.
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  staged = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
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
  const stagedRoot = opts.runAs ? stagedCliRoot() : null;
  const [cmd, argv] = stagedRoot
    ? ['runuser', ['-u', opts.runAs!, '--', process.execPath, path.join(stagedRoot, 'bin', 'promanager'), ...args]]
    : [process.execPath, [binPath, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env, cwd: opts.cwd ?? stagedRoot ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
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
