// Offline imports for air-gapped sites: a release tarball copied in by hand, or a Debian package (by name,
// fetched with apt-get download, or a .deb file) whose binaries are repacked in the official release layout.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile, chmod, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PromanagerError, UsageError } from '../core/errors.js';
import { admitToCache, artifactsDir, sha256File, type CachedArtifact } from './artifacts.js';
import { artifactName, CATALOG, DEBIAN_PACKAGES, isComponentName, type ComponentName } from './catalog.js';

const run = promisify(execFile);

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

async function findFile(root: string, name: string): Promise<string | null> {
  for (const dir of ['usr/bin', 'usr/sbin', 'bin', 'usr/local/bin']) {
    const candidate = path.join(root, dir, name);
    try {
      await access(candidate);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

export async function importDebian(home: string, packageOrFile: string, opts: { component?: string; version?: string }): Promise<CachedArtifact> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'pm-deb-'));
  try {
    let deb = packageOrFile;
    if (!packageOrFile.endsWith('.deb')) {
      if (!DEBIAN_PACKAGES[packageOrFile]) throw new UsageError(`'${packageOrFile}' is not a Debian package promanager knows`, `known: ${Object.keys(DEBIAN_PACKAGES).join(', ')}`);
      await run('apt-get', ['download', packageOrFile], { cwd: work }).catch((err: Error & { stderr?: string }) => {
        throw new PromanagerError(`apt-get download ${packageOrFile} failed: ${(err.stderr ?? err.message).trim().split('\n').pop()}`, { hint: 'run apt-get update, or give a .deb file' });
      });
      const debs = (await readdir(work)).filter((f) => f.endsWith('.deb'));
      if (debs.length === 0) throw new PromanagerError(`apt-get download ${packageOrFile} produced no .deb`);
      deb = path.join(work, debs[0]!);
    }
    const fields = await run('dpkg-deb', ['-f', deb, 'Package', 'Version']).catch((err: Error & { stderr?: string }) => {
      throw new PromanagerError(`${deb} is not a readable Debian package: ${(err.stderr ?? err.message).trim()}`);
    });
    const pkg = /^Package:\s*(\S+)/m.exec(fields.stdout)?.[1] ?? '';
    const component = opts.component ?? DEBIAN_PACKAGES[pkg];
    if (!component || !isComponentName(component)) throw new UsageError(`cannot tell which component ${pkg || deb} is`, 'give --component');
    const version = opts.version ?? upstreamVersion(/^Version:\s*(\S+)/m.exec(fields.stdout)?.[1] ?? '');
    if (!version) throw new UsageError(`cannot tell the version of ${deb}`, 'give --version');
    const root = path.join(work, 'root');
    await run('dpkg-deb', ['-x', deb, root]);
    const name = artifactName(component, version, 'amd64');
    const stage = path.join(work, 'stage', name);
    await mkdir(stage, { recursive: true });
    // Debian names some binaries after the package (prometheus-node-exporter); the release names them plainly.
    for (const binary of CATALOG[component].binaries) {
      const found = (await findFile(root, binary)) ?? (await findFile(root, `prometheus-${binary.replace(/_/g, '-')}`));
      if (!found) throw new PromanagerError(`${deb} has no ${binary} binary`);
      await copyFile(found, path.join(stage, binary));
      await chmod(path.join(stage, binary), 0o755);
    }
    await writeFile(path.join(stage, 'NOTICE'), `Repacked by promanager from Debian package ${pkg} for offline installation.\n`);
    const tarball = path.join(work, `${name}.tar.gz`);
    await run('tar', ['-czf', tarball, '--owner=0', '--group=0', '--numeric-owner', '-C', path.join(work, 'stage'), name]);
    // await: the temporary directory is removed in finally, and the tarball must be copied before that.
    return await importTarball(home, tarball, { component, version, arch: 'amd64' });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
