// What the controller uploads: the agent bundle (built next to the CLI) and, for hosts without Node.js >= 18,
// this controller's own Node binary, gzipped once and cached in the state directory by content hash.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { PromanagerError } from '../core/errors.js';

export interface AgentBundle {
  bytes: Buffer;
  sha256: string;
}

let bundle: Promise<AgentBundle> | null = null;

function distDir(): string {
  // This module is bundled into dist/ (or dist/chunks/); tests may load it from src/remote/.
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [here, path.dirname(here), path.join(here, '..', '..', 'dist')]) {
    if (path.basename(candidate) === 'dist') return candidate;
  }
  return path.join(here, '..', '..', 'dist');
}

export function agentBundle(): Promise<AgentBundle> {
  if (!bundle) {
    bundle = readFile(path.join(distDir(), 'agent.cjs')).then(
      (bytes) => ({ bytes, sha256: createHash('sha256').update(bytes).digest('hex') }),
      (err) => {
        throw new PromanagerError(`the agent bundle is missing (${(err as Error).message})`, { hint: 'run npm run build' });
      },
    );
  }
  return bundle;
}

export interface RuntimeBundle {
  sha256: string;
  gzFile: string;
  gzBytes: number;
  os: string;
  arch: string;
}

function unameArch(): string {
  return { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ia32: 'i686' }[process.arch as string] ?? process.arch;
}

let runtime: Promise<RuntimeBundle> | null = null;

/** The controller's Node binary as an uploadable runtime; prepared once per state directory and Node version. */
export function controllerRuntime(home: string, nodePath = process.execPath): Promise<RuntimeBundle> {
  if (!runtime) runtime = prepareRuntime(home, nodePath);
  return runtime;
}

async function prepareRuntime(home: string, nodePath: string): Promise<RuntimeBundle> {
  const dir = path.join(home, 'cache', 'runtime');
  await mkdir(dir, { recursive: true });
  const st = await stat(nodePath);
  const indexFile = path.join(dir, 'index.json');
  const key = `${nodePath}:${st.size}:${st.mtimeMs}`;
  try {
    const index = JSON.parse(await readFile(indexFile, 'utf8')) as RuntimeBundle & { key: string };
    if (index.key === key) {
      const gz = await stat(index.gzFile);
      return { ...index, gzBytes: gz.size };
    }
  } catch {
    // first time, or the binary changed
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(nodePath)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  const gzFile = path.join(dir, `node-${sha256}.gz`);
  const temp = `${gzFile}.${process.pid}.tmp`;
  await pipeline(createReadStream(nodePath), createGzip({ level: 6 }), createWriteStream(temp));
  await rename(temp, gzFile);
  const gzBytes = (await stat(gzFile)).size;
  const result: RuntimeBundle = { sha256, gzFile, gzBytes, os: 'Linux', arch: unameArch() };
  await writeFile(indexFile, JSON.stringify({ ...result, key }));
  return result;
}

export function controllerCanServe(remoteOs: string, remoteArch: string): boolean {
  return process.platform === 'linux' && remoteOs === 'Linux' && remoteArch === unameArch();
}
