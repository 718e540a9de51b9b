// artifact fetch | import | list: the controller's cache of verified release tarballs.
import os from 'node:os';
import { ExitCode } from '../core/errors.js';
import { fetchArtifact, listCached, type CachedArtifact } from '../components/artifacts.js';
import { releaseArch } from '../components/catalog.js';
import { importTarball } from '../components/import.js';
import { importDebian } from '../components/import-deb.js';
import { componentArg } from './services.js';
import type { Context } from './context.js';
import { beginRead } from './read.js';
import { recordAudit } from './transaction.js';
import { ensureComponent } from './components.js';
import { CATALOG } from '../components/catalog.js';

async function remember(ctx: Context, artifact: CachedArtifact): Promise<void> {
  // The Component table lists the versions promanager knows; a cached artifact makes one known.
  await ctx.store.withLock(async () => {
    const state = await ctx.store.read();
    const before = state.components.length;
    ensureComponent(state, artifact.component, artifact.version, CATALOG[artifact.component].description, ctx.now().toISOString());
    if (state.components.length !== before) await ctx.store.write(state);
  });
}

export async function fetchArtifactCmd(ctx: Context, component: string, version: string, opts: { arch?: string; mirror?: string; onProgress?: (got: number, total: number | null) => void }): Promise<CachedArtifact & { downloaded: boolean }> {
  const { actor } = await beginRead(ctx, 'operate');
  const c = componentArg(component);
  const arch = opts.arch ?? releaseArch(os.machine());
  try {
    const a = await fetchArtifact(ctx.store.home, c, version.replace(/^v/, ''), arch, opts.mirror, opts.onProgress);
    await remember(ctx, a);
    await recordAudit(ctx, actor, { clusters: [], hosts: [] }, 'ok', ExitCode.ok, `${a.downloaded ? 'downloaded' : 'already cached'} ${a.file} sha256 ${a.sha256} from ${a.source}`);
    return a;
  } catch (err) {
    await recordAudit(ctx, actor, { clusters: [], hosts: [] }, 'error', ExitCode.error, (err as Error).message);
    throw err;
  }
}

export async function importArtifactCmd(ctx: Context, source: string, opts: { component?: string; version?: string; arch?: string; sha256?: string }): Promise<CachedArtifact & { from?: string }> {
  const { actor } = await beginRead(ctx, 'operate');
  try {
    const isTarball = /\.(tar\.gz|tgz)$/.test(source);
    const a: CachedArtifact & { from?: string } = isTarball ? await importTarball(ctx.store.home, source, opts) : await importDebian(ctx.store.home, source, opts);
    await remember(ctx, a);
    await recordAudit(ctx, actor, { clusters: [], hosts: [] }, 'ok', ExitCode.ok, `imported ${a.file} sha256 ${a.sha256} from ${a.from ?? source}`);
    return a;
  } catch (err) {
    await recordAudit(ctx, actor, { clusters: [], hosts: [] }, 'error', ExitCode.error, (err as Error).message);
    throw err;
  }
}

export async function listArtifacts(ctx: Context): Promise<CachedArtifact[]> {
  await beginRead(ctx);
  return listCached(ctx.store.home);
}
