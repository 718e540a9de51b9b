// Putting a component version on the host: verify the uploaded tarball, unpack it into its own versioned
// directory, flip the `current` symlink atomically (keeping `previous` for rollback), create the system user
// and directories with the right owners, write a default config if none is there, and register the service.
// Every step checks first, so running it again changes nothing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { ServiceSpec } from './service-spec.js';
import { writeFileAtomic } from './files.js';
import { systemdRunning } from './service-runtime.js';
import { createdUserMarker, currentWho } from './layout.js';

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function versionDir(spec: ServiceSpec, version = spec.version): string {
  return path.join(spec.base_dir, version);
}

function ensureUser(user: string, steps: string[]): void {
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
    return;
  } catch {
    // create it below
  }
  const nologin = ['/usr/sbin/nologin', '/sbin/nologin', '/bin/false'].find((p) => existsSync(p)) ?? '/bin/false';
  execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', nologin, '--user-group', user], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Remembered, so `uninstall --purge` removes only users promanager made (Debian's `prometheus` user stays).
  const marker = createdUserMarker(currentWho(), user);
  mkdirSync(path.dirname(marker), { recursive: true, mode: 0o700 });
  writeFileAtomic({ path: marker, content: Buffer.from(`${new Date().toISOString()}\n`).toString('base64'), mode: 0o600 });
  steps.push(`created system user ${user}`);
}

/** Removes a system user promanager created (and its group); a user it found already there stays. */
export function removeCreatedUser(user: string, steps: string[]): boolean {
  const marker = createdUserMarker(currentWho(), user);
  if (!existsSync(marker)) return false;
  let exists = true;
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
  } catch {
    exists = false; // removed by hand meanwhile
  }
  if (exists) {
    execFileSync('userdel', [user], { stdio: ['ignore', 'ignore', 'pipe'] });
    steps.push(`removed system user ${user}`);
  }
  try {
    execFileSync('getent', ['group', user], { stdio: 'ignore' });
    execFileSync('groupdel', [user], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    // no such group (userdel removed it with USERGROUPS_ENAB)
  }
  rmSync(marker, { force: true });
  return true;
}

function ownedDir(dir: string, mode: number, user: string | null): boolean {
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
  if (user && isRoot()) {
    const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
    chownSync(dir, uid, gid);
  }
  return created;
}

/** Unpacks the version if it is not there yet. */
export function unpack(spec: ServiceSpec, steps: string[]): boolean {
  const dir = versionDir(spec);
  if (existsSync(path.join(dir, spec.main_binary))) return false;
  const actual = sha256Of(spec.artifact);
  if (actual !== spec.artifact_sha256) throw new Error(`${spec.artifact} has sha256 ${actual}, expected ${spec.artifact_sha256}; refusing to install it`);
  mkdirSync(spec.base_dir, { recursive: true, mode: 0o755 });
  chmodSync(spec.base_dir, 0o755);
  const temp = path.join(spec.base_dir, `.${spec.version}.${process.pid}.tmp`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  try {
    execFileSync('tar', ['-xzf', spec.artifact, '-C', temp, '--strip-components=1', '--no-same-owner'], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (!existsSync(path.join(temp, spec.main_binary))) throw new Error(`the ${spec.component} ${spec.version} tarball has no ${spec.main_binary}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(temp, dir);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  steps.push(`unpacked ${spec.component} ${spec.version} into ${dir}`);
  return true;
}

function replaceSymlink(link: string, target: string): void {
  const temp = `${link}.${process.pid}.tmp`;
  try {
    unlinkSync(temp);
  } catch {
    // none
  }
  symlinkSync(target, temp);
  renameSync(temp, link); // rename(2) over the old link: no moment without a `current`
}

/** Points `current` at a version, keeping the old target as `previous`. */
export function switchVersion(spec: ServiceSpec, version: string, steps: string[]): boolean {
  const current = path.join(spec.base_dir, 'current');
  let old: string | null = null;
  try {
    old = path.basename(readlinkSync(current));
  } catch {
    old = null;
  }
  if (old === version) return false;
  if (!existsSync(path.join(versionDir(spec, version), spec.main_binary))) throw new Error(`${spec.component} ${version} is not unpacked on this host`);
  replaceSymlink(current, version);
  if (old) replaceSymlink(path.join(spec.base_dir, 'previous'), old);
  steps.push(`current -> ${version}${old ? ` (previous ${old})` : ''}`);
  return true;
}

/** Our parent directories (/opt/promanager, /etc/promanager ...) must be traversable by service users. */
function openParents(spec: ServiceSpec): void {
  for (const dir of [spec.base_dir, spec.config_dir, spec.data_dir, spec.run_dir, path.dirname(spec.log_file)]) {
    if (!dir) continue;
    for (let d = path.dirname(dir); d.includes('promanager'); d = path.dirname(d)) {
      if (existsSync(d)) chmodSync(d, 0o755);
    }
  }
}

/** User, directories, default config, spec and unit: everything but the binaries and the running process. */
export function prepare(spec: ServiceSpec, steps: string[]): boolean {
  let changed = false;
  openParents(spec);
  if (spec.user && isRoot()) ensureUser(spec.user, steps);
  if (ownedDir(spec.config_dir, 0o755, null)) changed = true;
  if (spec.data_dir && ownedDir(spec.data_dir, 0o750, spec.user)) {
    steps.push(`created ${spec.data_dir}`);
    changed = true;
  }
  if (ownedDir(spec.run_dir, 0o755, null)) changed = true;
  mkdirSync(path.dirname(spec.log_file), { recursive: true, mode: 0o755 });
  // node_exporter's textfile collector reports node_textfile_scrape_error 1 while its directory is missing.
  if (spec.textfile_dir && ownedDir(spec.textfile_dir, 0o755, null)) {
    steps.push(`created ${spec.textfile_dir}`);
    changed = true;
  }
  if (spec.default_config && !existsSync(spec.default_config.file)) {
    writeFileAtomic({ path: spec.default_config.file, content: Buffer.from(spec.default_config.content).toString('base64'), mode: 0o644 });
    steps.push(`wrote default ${spec.default_config.file}`);
    changed = true;
  }
  openParents(spec); // again: mkdir -p above created missing parents with the leaf's mode
  const specFile = path.join(spec.run_dir, 'spec.json');
  if (writeFileAtomic({ path: specFile, content: Buffer.from(JSON.stringify(spec, null, 1)).toString('base64'), mode: 0o644 }).changed) changed = true;
  if (spec.manager === 'systemd') {
    const unitFile = path.join('/etc/systemd/system', spec.unit_name);
    if (writeFileAtomic({ path: unitFile, content: Buffer.from(spec.unit_text).toString('base64'), mode: 0o644 }).changed) {
      if (systemdRunning()) {
        execFileSync('systemctl', ['daemon-reload']);
        execFileSync('systemctl', ['enable', spec.unit_name], { stdio: 'ignore' });
      }
      steps.push(`wrote ${unitFile}`);
      changed = true;
    }
  }
  return changed;
}

export function uninstall(spec: ServiceSpec, purge: boolean, steps: string[]): boolean {
  let changed = false;
  const remove = (p: string) => {
    if (existsSync(p)) {
      rmSync(p, { recursive: true, force: true });
      steps.push(`removed ${p}`);
      changed = true;
    }
  };
  if (spec.manager === 'systemd') {
    const unitFile = path.join('/etc/systemd/system', spec.unit_name);
    if (existsSync(unitFile)) {
      if (systemdRunning()) execFileSync('systemctl', ['disable', spec.unit_name], { stdio: 'ignore' });
      remove(unitFile);
      if (systemdRunning()) execFileSync('systemctl', ['daemon-reload']);
    }
  }
  remove(spec.base_dir);
  remove(spec.run_dir);
  if (purge) {
    if (spec.data_dir) remove(spec.data_dir);
    remove(spec.config_dir);
    for (const f of [spec.log_file, `${spec.log_file}.1`, `${spec.log_file}.2`, `${spec.log_file}.3`]) remove(f);
    // The uploaded release tarballs of this component: the cache on the host, not data.
    const artifacts = path.dirname(spec.artifact);
    if (existsSync(artifacts)) {
      for (const f of readdirSync(artifacts)) if (f.startsWith(`${spec.component}-`) && f.endsWith('.tar.gz')) remove(path.join(artifacts, f));
    }
    if (spec.user && isRoot() && removeCreatedUser(spec.user, steps)) changed = true;
  }
  return changed;
}
