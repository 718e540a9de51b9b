// Offline imports for air-gapped sites: a release tarball copied in by hand. Debian packages are in
// import-deb.ts.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { PromanagerError, UsageError } from '../core/errors.js';
import { admitToCache, artifactsDir, sha256File, type CachedArtifact } from './artifacts.js';
import { artifactName, CATALOG, isComponentName, type ComponentName } from './catalog.js';

/** `prometheus-2.53.1.linux-amd64.tar.gz` -> its parts. */
export function parseArtifactFileName(file: string): { component: ComponentName; version: string; arch: string } | null {
  const m = /^([a-z_]+)-(\d[^/]*?)\.linux-([a-z0-9]+)\.tar\.gz$/.exec(path.basename(file));
  if (!m || !isComponentName(m[1]!)) return null;
  return { component: m[1] as ComponentName, version: m[2]!, arch: m[3]! };
}

export async function importTarball(home: string, file: string, opts: { component?: string; version?: string; arch?: string; sha256?: string }): Promise<CachedArtifact> {
  const parsed = parseArtifactFileName(file);
  const component = opts.component ?? parsed?.component;
  const version = opts.version ?? parsed?.version;
  if (!component || !version) throw new UsageError(`cannot tell the component and version of ${file}`, 'name it like prometheus-2.53.1.linux-amd64.tar.gz, or give --component and --version');
  if (!isComponentName(component)) throw new UsageError(`unknown component '${component}'`, `known: ${Object.keys(CATALOG).join(', ')}`);
  const arch = opts.arch ?? parsed?.arch ?? 'amd64';
  const actual = await sha256File(file).catch((err: NodeJS.ErrnoException) => {
    throw new PromanagerError(`cannot read ${file}: ${err.code ?? err.message}`);
  });
  if (opts.sha256 && opts.sha256.toLowerCase() !== actual) {
    throw new PromanagerError(`checksum mismatch for ${file}: expected ${opts.sha256}, the file is ${actual}`, { hint: 'nothing was imported' });
  }
  const dir = artifactsDir(home);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.import.${randomBytes(4).toString('hex')}.part`);
  await copyFile(file, temp);
  const bytes = (await stat(temp)).size;
  const name = `${artifactName(component, version, arch)}.tar.gz`;
  return admitToCache(home, temp, { component, version, arch, file: name, sha256: actual, bytes, source: `import:${path.resolve(file)}${opts.sha256 ? '' : ' (checksum computed, not checked)'}` });
}

/** Debian's `1:2.42.0+ds-5+deb12u1` -> `2.42.0`. */
export function upstreamVersion(debVersion: string): string {
  return debVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '').replace(/[+~](ds|dfsg)\d*$/i, '').replace(/\+.*$/, '');
}

