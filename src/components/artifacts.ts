// The artifact cache on the controller: release tarballs downloaded once for the whole fleet, verified against
// the release's sha256sums.txt, and kept under $PROMANAGER_HOME/artifacts. Nothing unverified is ever used:
// a file enters the cache only by rename after its checksum matched, so a crash or a concurrent fetch can never
// leave a half-written tarball where an install would pick it up.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { PromanagerError } from '../core/errors.js';
import { artifactName, artifactUrl, OFFICIAL_MIRROR, type ComponentName } from './catalog.js';
import { fetch as undiciFetch } from 'undici';
import { dispatcherFor } from './http-proxy.js';

export interface CachedArtifact {
  component: ComponentName;
  version: string;
  arch: string;
  file: string;
  path: string;
  sha256: string;
  bytes: number;
  source: string;
}

export function artifactsDir(home: string): string {
  return path.join(home, 'artifacts');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The cache entry for a component version, if it is there and still matches its recorded checksum. */
export async function findCached(home: string, component: ComponentName, version: string, arch: string): Promise<CachedArtifact | null> {
  const file = `${artifactName(component, version, arch)}.tar.gz`;
  const full = path.join(artifactsDir(home), file);
  try {
    const meta = JSON.parse(await readFile(`${full}.json`, 'utf8')) as CachedArtifact;
    const st = await stat(full);
    if (st.size !== meta.bytes) return null;
    return { ...meta, path: full };
  } catch {
    return null;
  }
}

export async function listCached(home: string): Promise<CachedArtifact[]> {
  let names: string[];
  try {
    names = await readdir(artifactsDir(home));
  } catch {
    return [];
  }
  const out: CachedArtifact[] = [];
  for (const name of names.filter((n) => n.endsWith('.tar.gz.json')).sort()) {
    try {
      const meta = JSON.parse(await readFile(path.join(artifactsDir(home), name), 'utf8')) as CachedArtifact;
      out.push({ ...meta, path: path.join(artifactsDir(home), meta.file) });
    } catch {
      // a sidecar being written right now; skip it
    }
  }
  return out;
}

/** Puts a verified file into the cache (rename, so it appears whole or not at all). */
export async function admitToCache(home: string, tempFile: string, meta: Omit<CachedArtifact, 'path'>): Promise<CachedArtifact> {
  const dir = artifactsDir(home);
  await mkdir(dir, { recursive: true });
  const dest = path.join(dir, meta.file);
  await rename(tempFile, dest);
  const sidecarTemp = `${dest}.json.${randomBytes(4).toString('hex')}`;
  await writeFile(sidecarTemp, JSON.stringify(meta, null, 1));
  await rename(sidecarTemp, `${dest}.json`);
  return { ...meta, path: dest };
}

export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(.+)$/i.exec(line.trim());
    if (m) sums.set(m[2]!.trim(), m[1]!.toLowerCase());
  }
  return sums;
}

async function httpGet(url: string): Promise<Response> {
  let res: Response;
  try {
    const dispatcher = dispatcherFor(url);
    // undici's own fetch takes a dispatcher (the proxy); Node's global fetch would ignore http_proxy entirely.
    res = (dispatcher ? await undiciFetch(url, { redirect: 'follow', dispatcher }) : await fetch(url, { redirect: 'follow' })) as Response;
  } catch (err) {
    throw new PromanagerError(`cannot download ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, {
      hint: 'check the network, or use --mirror / artifact_mirror, or import the artifact offline (artifact import)',
    });
  }
  if (!res.ok) throw new PromanagerError(`cannot download ${url}: HTTP ${res.status}`, { hint: res.status === 404 ? 'is the version right? see the project\'s releases page' : undefined });
  return res;
}

export interface FetchProgress {
  (received: number, total: number | null): void;
}

/** Downloads and verifies a release tarball into the cache; a cached, intact copy is used as is. */
export async function fetchArtifact(home: string, component: ComponentName, version: string, arch: string, mirror: string | undefined, progress?: FetchProgress): Promise<CachedArtifact & { downloaded: boolean }> {
  const cached = await findCached(home, component, version, arch);
  if (cached) return { ...cached, downloaded: false };
  const base = mirror ?? OFFICIAL_MIRROR;
  const file = `${artifactName(component, version, arch)}.tar.gz`;
  const sumsUrl = artifactUrl(base, component, version, 'sha256sums.txt');
  const sums = parseSha256Sums(await (await httpGet(sumsUrl)).text());
  const expected = sums.get(file);
  if (!expected) throw new PromanagerError(`${sumsUrl} lists no checksum for ${file}`, { hint: `is ${arch} built for ${component} ${version}?` });
  const dir = artifactsDir(home);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${file}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  const url = artifactUrl(base, component, version, file);
  const res = await httpGet(url);
  const total = Number(res.headers.get('content-length')) || null;
  const hash = createHash('sha256');
  let received = 0;
  try {
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
      progress?.(received, total);
    });
    await pipeline(body, createWriteStream(temp, { mode: 0o644 }));
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new PromanagerError(`checksum mismatch for ${file}: sha256sums.txt says ${expected}, the download is ${actual}`, {
        hint: 'the download or the mirror is corrupt or tampered with; nothing was cached or installed',
      });
    }
    const entry = await admitToCache(home, temp, { component, version, arch, file, sha256: actual, bytes: received, source: url });
    return { ...entry, downloaded: true };
  } finally {
    await rm(temp, { force: true });
  }
}
