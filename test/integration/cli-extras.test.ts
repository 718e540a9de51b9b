// What people expect of a CLI of this kind, through the real built CLI: --version, shell completion (driven
// by real bash, zsh and fish), reproducible Debian repacks, sizes in units on a terminal and raw when piped.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { binPath, repoRoot, runCli, runOk, tempHome } from '../helpers/cli.js';

const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('--version', () => {
  it('prints the version at the top level, while service commands keep --version <v>', async () => {
    expect((await runOk(['--version'])).stdout).toBe(`${version}\n`);
    expect((await runOk(['-V'])).stdout).toBe(`${version}\n`);
    expect(JSON.parse((await runOk(['--json', '--version'])).stdout)).toEqual({ version });
    const home = tempHome();
    // No hosts: the command got as far as targeting, so --version 2.53.1 was taken as the service's own option.
    const r = await runCli(['service', 'install', 'prometheus', '--version', '2.53.1', '--dry-run'], { home });
    expect(r.stderr).toContain('no hosts match the targets given');
  });
});

describe('completion', () => {
  it('completes nouns, verbs, flags and component names in bash', () => {
    const script = `
      source <("${process.execPath}" "${binPath}" completion bash)
      complete -p promanager
      t() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _promanager; echo "\${COMPREPLY[*]}"; }
      t promanager ho
      t promanager host ''
      t promanager service install ''
      t promanager service install prometheus --ver
      t promanager -c prod host cl
      t promanager --js
      t promanager completion ''`;
    const out = execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n');
    expect(out[0]).toBe('complete -o default -F _promanager promanager');
    expect(out.slice(1, 8)).toEqual([
      'host',
      'add list refresh clean show remove label',
      'prometheus alertmanager node_exporter pushgateway blackbox_exporter',
      '--version',
      'clean',
      '--json',
      'bash zsh fish',
    ]);
  });

  it.skipIf(!existsSync('/usr/bin/zsh'))('gives zsh a script it accepts and that completes the same words', () => {
    const file = path.join(tempHome(), '_promanager');
    writeFileSync(file, execFileSync(process.execPath, [binPath, 'completion', 'zsh'], { encoding: 'utf8' }));
    execFileSync('zsh', ['-n', file]);
    // compadd and compdef are zsh's completion system; stand-ins print what would be offered.
    const out = execFileSync('zsh', ['-c', `compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -r -- "$*"; }; source ${file}
      words=(promanager host ''); CURRENT=3; PREFIX=''; _promanager
      words=(promanager service logs x -); CURRENT=5; PREFIX=-; _promanager`], { encoding: 'utf8' }).split('\n');
    expect(out[0]).toBe('add list refresh clean show remove label');
    expect(out[1]).toContain('--lines -n --follow');
  });

  it.skipIf(!existsSync('/usr/bin/fish'))('gives fish a script whose completions fish itself computes', () => {
    const file = path.join(tempHome(), 'promanager.fish');
    writeFileSync(file, execFileSync(process.execPath, [binPath, 'completion', 'fish'], { encoding: 'utf8' }));
    const ask = (line: string) => execFileSync('fish', ['-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    expect(ask('promanager ho')).toEqual(['host']);
    expect(ask('promanager host ')).toEqual(['add', 'clean', 'label', 'list', 'refresh', 'remove', 'show']);
    expect(ask('promanager service install ')).toContain('node_exporter');
    expect(ask('promanager service logs x --fol')).toEqual(['--follow']);
  });

  it('refuses an unknown shell with exit 2', async () => {
    const r = await runCli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown shell 'tcsh'");
  });
});

/** A minimal Debian package named like Debian's node exporter, built here (no network). */
function fakeDeb(dir: string): string {
  const root = path.join(dir, 'pkg');
  mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  writeFileSync(path.join(root, 'DEBIAN/control'), 'Package: prometheus-node-exporter\nVersion: 1.5.0-1\nArchitecture: amd64\nMaintainer: test <t@example.invalid>\nDescription: test package\n');
  writeFileSync(path.join(root, 'usr/bin/prometheus-node-exporter'), '#!/bin/sh\necho node_exporter\n', { mode: 0o755 });
  const deb = path.join(dir, 'prometheus-node-exporter_1.5.0-1_amd64.deb');
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, deb], { stdio: 'ignore' });
  return deb;
}

/** Waits (polling, not sleeping a fixed time) until the wall clock is in a later second than `ms`. */
async function nextSecond(ms: number): Promise<void> {
  while (Math.floor(Date.now() / 1000) === Math.floor(ms / 1000)) await new Promise((r) => setTimeout(r, 50));
}

describe('artifact import of a Debian package', () => {
  it('gives the same sha256 every time (fixed mtimes, sorted entries, fixed owner, no gzip timestamp)', async () => {
    const deb = fakeDeb(tempHome('pm-deb-'));
    const sums: string[] = [];
    for (const umask of ['022', '077']) {
      const home = tempHome();
      const started = Date.now();
      // A different umask and a later second: neither may reach the bytes.
      const r = spawnSync('bash', ['-c', `umask ${umask}; exec "${process.execPath}" "${binPath}" artifact import "${deb}" --json`], { env: { ...process.env, PROMANAGER_HOME: home }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const a = JSON.parse(r.stdout) as { sha256: string; from: string; file: string };
      expect(a.file).toBe('node_exporter-1.5.0.linux-amd64.tar.gz');
      expect(a.from).toBe(`file ${deb}`);
      sums.push(a.sha256);
      const list = execFileSync('tar', ['-tvzf', path.join(home, 'artifacts', a.file)], { encoding: 'utf8' });
      expect(list).toMatch(/^-rwxr-xr-x 0\/0 .* 2000-01-01 00:00 node_exporter-1\.5\.0\.linux-amd64\/node_exporter$/m);
      await nextSecond(started);
    }
    expect(sums[1]).toBe(sums[0]);
  });

  it.skipIf(spawnSync('dpkg', ['-s', 'prometheus-node-exporter']).status !== 0)('takes an installed package offline (dpkg -L) and says so', async () => {
    const home = tempHome();
    const r = await runOk(['artifact', 'import', 'prometheus-node-exporter'], { home, env: { http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' } });
    expect(r.stderr).toMatch(/node_exporter-[\d.]+\.linux-amd64\.tar\.gz imported from the installed package \(dpkg -L\), repacked reproducibly/);
  });
});

describe('sizes and durations', () => {
  it('are in units on a terminal and raw numbers when piped', async () => {
    const home = tempHome();
    await runOk(['artifact', 'import', fakeDeb(tempHome('pm-deb-'))], { home });
    const piped = (await runOk(['artifact', 'list'], { home })).stdout;
    expect(piped).toMatch(/^node_exporter\t1\.5\.0\tamd64\t\d+\t[0-9a-f]{64}\t/m);
    const tty = spawnSync('script', ['-qec', `"${process.execPath}" "${binPath}" artifact list`, '/dev/null'], { env: { ...process.env, PROMANAGER_HOME: home, NO_COLOR: '1' }, encoding: 'utf8' });
    expect(tty.stdout).toMatch(/SIZE/);
    expect(tty.stdout).toMatch(/node_exporter\s+1\.5\.0\s+amd64\s+\d+(\.\d)? (B|KiB)\s/);
  });
});
