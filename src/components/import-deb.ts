// A Debian package's binaries repacked in the official release layout, for sites with no route to the release
// downloads. The package comes from, in this order: a .deb file given by path; the package as installed on
// this machine (`dpkg -L` names its files, `dpkg --verify` checks them against the package's checksums); a
// .deb in apt's cache (/var/cache/apt/archives); `apt-get download`. Only the last one needs a network.
// The repack is reproducible: sorted entries, one fixed mtime, owner 0:0, fixed modes, gzip without name or
// timestamp, so the same binaries give the same sha256 every time, on every machine.
import { execFile } from 'node:child_process';
import { copyFile, chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync, constants as zlibConstants } from 'node:zlib';
import { PromanagerError, UsageError } from '../core/errors.js';
import type { CachedArtifact } from './artifacts.js';
import { artifactName, CATALOG, DEBIAN_PACKAGES, isComponentName, type ComponentName } from './catalog.js';
import { importTarball, upstreamVersion } from './import.js';

const run = promisify(execFile);

/** Every entry's mtime in a repacked tarball: 2000-01-01T00:00:00Z (a date, not "now", so the bytes repeat). */
export const REPACK_MTIME = 946684800;

export const APT_ARCHIVES = '/var/cache/apt/archives';

export interface DebImport extends CachedArtifact {
  /** where the package came from, said to the user: 'file ...', 'installed package (dpkg -L)', 'apt cache ...', 'apt-get download' */
  from: string;
}

interface PackageFiles {
  pkg: string;
  debVersion: string;
  /** binary name in the release layout -> file to take it from */
  binaries: Map<string, string>;
  from: string;
}

function binaryCandidates(binary: string): string[] {
  // Debian names some binaries after the package (prometheus-node-exporter); the release names them plainly.
  const debianName = `prometheus-${binary.replace(/_/g, '-')}`;
  return ['usr/bin', 'usr/sbin', 'bin', 'usr/local/bin'].flatMap((d) => [`${d}/${binary}`, `${d}/${debianName}`]);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

function componentOf(pkg: string, override?: string): ComponentName {
  const component = override ?? DEBIAN_PACKAGES[pkg];
  if (!component || !isComponentName(component)) throw new UsageError(`cannot tell which component ${pkg} is`, 'give --component');
  return component;
}

/** The binaries of an unpacked .deb. */
async function fromDebFile(deb: string, work: string, component: string | undefined, from: string): Promise<PackageFiles> {
  const fields = await run('dpkg-deb', ['-f', deb, 'Package', 'Version']).catch((err: Error & { stderr?: string }) => {
    throw new PromanagerError(`${deb} is not a readable Debian package: ${(err.stderr ?? err.message).trim()}`);
  });
  const pkg = /^Package:\s*(\S+)/m.exec(fields.stdout)?.[1] ?? '';
  const root = path.join(work, 'root');
  await run('dpkg-deb', ['-x', deb, root]);
  const binaries = new Map<string, string>();
  for (const binary of CATALOG[componentOf(pkg, component)].binaries) {
    for (const rel of binaryCandidates(binary)) {
      if (await exists(path.join(root, rel))) {
        binaries.set(binary, path.join(root, rel));
        break;
      }
    }
  }
  return { pkg, debVersion: /^Version:\s*(\S+)/m.exec(fields.stdout)?.[1] ?? '', binaries, from };
}

/** The package as installed here, its files checked against the package's own checksums first. */
async function fromInstalled(pkg: string, component: string | undefined): Promise<PackageFiles | null> {
  const status = await run('dpkg-query', ['-W', '-f', '${Status}\t${Version}', pkg]).catch(() => null);
  if (!status || !/install ok installed\t/.test(status.stdout)) return null;
  const listed = new Set((await run('dpkg', ['-L', pkg])).stdout.split('\n').filter(Boolean));
  const binaries = new Map<string, string>();
  for (const binary of CATALOG[componentOf(pkg, component)].binaries) {
    const found = binaryCandidates(binary).map((rel) => `/${rel}`).find((f) => listed.has(f));
    if (found) binaries.set(binary, found);
  }
  // dpkg --verify prints `??5?????? /usr/bin/x` for a file whose content no longer matches the package.
  const verify = await run('dpkg', ['--verify', pkg]).then((r) => r.stdout, (err: { stdout?: string }) => err.stdout ?? '');
  const altered = [...binaries.values()].filter((f) => verify.split('\n').some((l) => l.endsWith(` ${f}`) && /^..5/.test(l)));
  if (altered.length) throw new PromanagerError(`the installed ${pkg} has altered files (dpkg --verify): ${altered.join(', ')}; refusing to repack them`, { hint: `reinstall it (apt-get install --reinstall ${pkg}), or give a .deb file` });
  return { pkg, debVersion: status.stdout.split('\t')[1] ?? '', binaries, from: 'installed package (dpkg -L)' };
}

async function fromAptCache(pkg: string): Promise<string | null> {
  const debs = (await readdir(APT_ARCHIVES).catch(() => [] as string[])).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb')).sort();
  return debs.length ? path.join(APT_ARCHIVES, debs[debs.length - 1]!) : null;
}

async function locate(packageOrFile: string, work: string, component: string | undefined): Promise<PackageFiles> {
  if (packageOrFile.endsWith('.deb')) return fromDebFile(packageOrFile, work, component, `file ${path.resolve(packageOrFile)}`);
  if (!DEBIAN_PACKAGES[packageOrFile]) throw new UsageError(`'${packageOrFile}' is not a Debian package promanager knows`, `known: ${Object.keys(DEBIAN_PACKAGES).join(', ')}`);
  const installed = await fromInstalled(packageOrFile, component);
  if (installed) return installed;
  const cached = await fromAptCache(packageOrFile);
  if (cached) return fromDebFile(cached, work, component, `apt cache ${cached}`);
  await run('apt-get', ['download', packageOrFile], { cwd: work }).catch((err: Error & { stderr?: string }) => {
    throw new PromanagerError(`${packageOrFile} is not installed, not in ${APT_ARCHIVES}, and apt-get download failed: ${(err.stderr ?? err.message).trim().split('\n').pop()}`, { hint: `offline: apt-get install ${packageOrFile} (from local media), or give a .deb file` });
  });
  const debs = (await readdir(work)).filter((f) => f.endsWith('.deb'));
  if (debs.length === 0) throw new PromanagerError(`apt-get download ${packageOrFile} produced no .deb`);
  return fromDebFile(path.join(work, debs[0]!), work, component, 'apt-get download');
}

/** A .tar.gz of `dir` (as `name/...`) whose bytes depend only on the files' names and contents. */
export async function reproducibleTarGz(stageParent: string, name: string, out: string): Promise<void> {
  const tar = `${out}.tar`;
  await run('tar', ['-cf', tar, '--sort=name', `--mtime=@${REPACK_MTIME}`, '--owner=0', '--group=0', '--numeric-owner',
    '--mode=u+rwX,go+rX,go-w', '--format=gnu', '-C', stageParent, name]);
  // zlib writes no file name and a zero timestamp: unlike gzip(1) on a file, nothing of the moment goes in.
  await writeFile(out, gzipSync(await readFile(tar), { level: zlibConstants.Z_BEST_COMPRESSION }));
  await rm(tar, { force: true });
}

export async function importDebian(home: string, packageOrFile: string, opts: { component?: string; version?: string }): Promise<DebImport> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'pm-deb-'));
  try {
    const found = await locate(packageOrFile, work, opts.component);
    const component = componentOf(found.pkg, opts.component);
    const version = opts.version ?? upstreamVersion(found.debVersion);
    if (!version) throw new UsageError(`cannot tell the version of ${packageOrFile}`, 'give --version');
    const name = artifactName(component, version, 'amd64');
    const stage = path.join(work, 'stage', name);
    await mkdir(stage, { recursive: true });
    for (const binary of CATALOG[component].binaries) {
      const file = found.binaries.get(binary);
      if (!file) throw new PromanagerError(`${found.pkg} (${found.from}) has no ${binary} binary`);
      await copyFile(file, path.join(stage, binary));
      await chmod(path.join(stage, binary), 0o755);
    }
    await writeFile(path.join(stage, 'NOTICE'), `Repacked by promanager from Debian package ${found.pkg} ${found.debVersion} for offline installation.\n`);
    const tarball = path.join(work, `${name}.tar.gz`);
    await reproducibleTarGz(path.join(work, 'stage'), name, tarball);
    // await: the temporary directory is removed in finally, and the tarball must be copied before that.
    return { ...(await importTarball(home, tarball, { component, version, arch: 'amd64' })), from: found.from };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
