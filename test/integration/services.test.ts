// Service management against real SSH test hosts with real Prometheus binaries, downloaded from a local mirror
// laid out like the official releases (built from Debian's packages), so download-and-verify is what runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runOk, tempHome } from '../helpers/cli.js';
import { startFleet, testHostsUnavailableReason, type TestFleet, testDir } from '../fixtures/testhosts.js';
import { startMirror, type Mirror } from '../fixtures/mirror.js';
import { planService } from '../../src/components/service-plan.js';

const skip = testHostsUnavailableReason();

interface HostLine { type: string; host: string; ok: boolean; changed: boolean; error: string | null; version: string | null; previous_version: string | null; status: string; health: string; pid: number | null; uploaded: boolean }
const ndjson = (out: string) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as HostLine);
const hostLines = (out: string) => ndjson(out).filter((l) => l.type === 'host').sort((a, b) => a.host.localeCompare(b.host));

async function httpStatus(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

describe.skipIf(skip !== undefined)(`services on real hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fleet: TestFleet;
  let mirror: Mirror;
  let home: string;
  let env: Record<string, string>;
  const names = ['s1', 's2', 's3'];
  const ip = (n: string) => fleet.hosts.find((h) => h.name === n)!.ip;

  beforeAll(async () => {
    [fleet, mirror] = await Promise.all([
      startFleet(names.map((name) => ({ name })), { dir: testDir('pm-testhosts-svc'), firstIp: 40 }),
      startMirror([
        { component: 'prometheus', version: '2.42.0' },
        { component: 'prometheus', version: '2.42.1' },
        { component: 'prometheus', version: '2.99.0', broken: true },
        { component: 'node_exporter', version: '1.5.0' },
        { component: 'node_exporter', version: '1.5.1', badChecksum: true },
      ]),
    ]);
    home = tempHome();
    const inv = path.join(home, 'svc.yml');
    writeFileSync(inv, [
      'defaults:',
      `  ssh: { user: root, key: ${fleet.keyFile} }`,
      `  vars: { artifact_mirror: '${mirror.baseUrl}', health_timeout: 30 }`,
      'clusters:',
      '  svc:',
      '    hosts:',
      ...names.map((n) => `      - { name: ${n}, ip: ${ip(n)}, labels: { role: prometheus }, vars: { prometheus_listen_address: '${ip(n)}:9090', node_exporter_listen_address: '${ip(n)}:9100' } }`),
      '',
    ].join('\n'));
    env = { PROMANAGER_KNOWN_HOSTS: fleet.knownHostsFile };
    await runOk(['inventory', 'import', inv], { home, env });
  }, 180_000);

  afterAll(async () => {
    await mirror?.close();
    await fleet?.stop();
  });

  it('shows the plan with --dry-run and changes nothing', async () => {
    const r = await runOk(['service', 'install', 'prometheus', '--version', '2.42.0', '--dry-run', '--json'], { home, env });
    const lines = hostLines(r.stdout);
    expect(lines).toHaveLength(3);
    expect(JSON.stringify(lines[0])).toContain('download prometheus-2.42.0.linux-amd64.tar.gz');
    expect(mirror.requests.filter((p) => p.endsWith('.tar.gz'))).toHaveLength(0);
    expect(existsSync(path.join(fleet.hosts[0]!.root, 'opt/promanager'))).toBe(false);
  });

  it('installs prometheus and node_exporter on every host, downloading each artifact once, health-gated', async () => {
    const p = await runOk(['service', 'install', 'prometheus', '--version', '2.42.0', '--json'], { home, env });
    expect(hostLines(p.stdout).map((l) => [l.host, l.ok, l.changed, l.status, l.health, l.uploaded])).toEqual(names.map((n) => [n, true, true, 'running', 'ok', true]));
    await runOk(['service', 'install', 'node_exporter', '--version', '1.5.0'], { home, env });
    expect(mirror.requests.filter((p) => p.endsWith('prometheus-2.42.0.linux-amd64.tar.gz'))).toHaveLength(1);
    for (const n of names) {
      expect(await httpStatus(`http://${ip(n)}:9090/-/ready`)).toBe(200);
      expect(await httpStatus(`http://${ip(n)}:9100/metrics`)).toBe(200);
    }
    const host = fleet.hosts[0]!;
    expect(execFileSync('readlink', [path.join(host.root, 'opt/promanager/prometheus/current')]).toString().trim()).toBe('2.42.0');
    expect((await fleet.exec('s1', 'stat -c %U /var/lib/promanager/data/prometheus')).stdout.trim()).toBe('prometheus');
    expect((await fleet.exec('s1', "ps -o user= -C prometheus | sort -u")).stdout.trim()).toBe('prometheus');
    const list = JSON.parse((await runOk(['service', 'list', '--json'], { home, env })).stdout) as Array<Record<string, unknown>>;
    expect(list).toHaveLength(6);
    expect(list[0]).toMatchObject({ host: 's1', component_name: 'prometheus', version: '2.42.0', status: 'running', listen_address: `${ip('s1')}:9090` });
    const components = (await runOk(['component', 'list'], { home, env })).stdout;
    expect(components).toContain('prometheus\t2.42.0');
  });

  it('is a no-op to install again', async () => {
    const r = await runOk(['service', 'install', 'prometheus', '--version', '2.42.0', '--json'], { home, env });
    expect(hostLines(r.stdout).every((l) => l.ok && !l.changed && !l.uploaded)).toBe(true);
  });

  it('stops, starts, restarts, reloads and reports status', async () => {
    await runOk(['service', 'stop', 'node_exporter', '--hosts', 's2'], { home, env });
    expect(await httpStatus(`http://${ip('s2')}:9100/metrics`)).toBe(0);
    const stopped = hostLines((await runOk(['service', 'status', 'node_exporter', '--hosts', 's2', '--json'], { home, env })).stdout)[0]!;
    expect(stopped).toMatchObject({ status: 'stopped', version: '1.5.0' });
    await runOk(['service', 'start', 'node_exporter', '--hosts', 's2'], { home, env });
    expect(await httpStatus(`http://${ip('s2')}:9100/metrics`)).toBe(200);
    const before = hostLines((await runOk(['service', 'status', 'prometheus', '--hosts', 's3', '--json'], { home, env })).stdout)[0]!;
    expect(before).toMatchObject({ status: 'running', health: 'ok', version: '2.42.0' });
    const restarted = hostLines((await runOk(['service', 'restart', 'prometheus', '--hosts', 's3', '--json'], { home, env })).stdout)[0]!;
    expect(restarted.pid).not.toBe(before.pid);
    await runOk(['service', 'reload', 'prometheus', '--hosts', 's3'], { home, env });
    const plain = (await runOk(['service', 'status', 'prometheus'], { home, env })).stdout;
    expect(plain.split('\n').filter(Boolean)).toHaveLength(3);
    expect(plain).toMatch(/s1\tok\tunchanged\trunning 2\.42\.0 health ok pid \d+ up \d+s/);
  });

  it('upgrades in batches and rolls back a build that fails its health gate, which keeps serving', async () => {
    const up = await runOk(['service', 'upgrade', 'prometheus', '--version', '2.42.1', '--serial', '1', '--json'], { home, env });
    expect(hostLines(up.stdout).map((l) => [l.host, l.version, l.previous_version])).toEqual(names.map((n) => [n, '2.42.1', '2.42.0']));
    const broken = await runCli(['service', 'upgrade', 'prometheus', '--version', '2.99.0', '--serial', '1', '--json'], { home, env });
    expect(broken.code).toBe(1);
    const lines = hostLines(broken.stdout);
    expect(lines[0]).toMatchObject({ host: 's1', ok: false });
    expect(lines[0]!.error).toContain('rolled back to 2.42.1');
    expect(lines.slice(1).every((l) => !l.ok && l.error?.includes('not attempted'))).toBe(true);
    for (const n of names) expect(await httpStatus(`http://${ip(n)}:9090/-/ready`)).toBe(200);
    expect(execFileSync('readlink', [path.join(fleet.hosts[0]!.root, 'opt/promanager/prometheus/current')]).toString().trim()).toBe('2.42.1');
    const rolled = await runOk(['service', 'rollback', 'prometheus', '--hosts', 's2', '--json'], { home, env });
    expect(hostLines(rolled.stdout)[0]).toMatchObject({ ok: true, version: '2.42.0', previous_version: '2.42.1' });
    expect(await httpStatus(`http://${ip('s2')}:9090/-/ready`)).toBe(200);
    const rows = JSON.parse((await runOk(['service', 'list', '--json', '--hosts', 's2'], { home, env })).stdout) as Array<{ component_name: string; version: string }>;
    expect(rows.find((r) => r.component_name === 'prometheus')!.version).toBe('2.42.0');
  });

  it('refuses an artifact whose checksum does not match, installing nothing', async () => {
    const r = await runCli(['service', 'install', 'node_exporter', '--version', '1.5.1', '--hosts', 's1'], { home, env });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/checksum mismatch for node_exporter-1\.5\.1\.linux-amd64\.tar\.gz: sha256sums\.txt says [0-9a-f]{64}, the download is [0-9a-f]{64}/);
    expect(existsSync(path.join(fleet.hosts[0]!.root, 'opt/promanager/node_exporter/1.5.1'))).toBe(false);
    expect((await runOk(['artifact', 'list'], { home, env })).stdout).not.toContain('1.5.1');
  });

  it('uninstalls only when confirmed, keeping data unless --purge', async () => {
    const refused = await runCli(['service', 'uninstall', 'node_exporter', '--hosts', 's3'], { home, env });
    expect(refused.code).toBe(2);
    await runOk(['service', 'uninstall', 'prometheus', '--hosts', 's3', '-y'], { home, env });
    expect(await httpStatus(`http://${ip('s3')}:9090/-/ready`)).toBe(0);
    const root = fleet.hosts[2]!.root;
    expect(existsSync(path.join(root, 'opt/promanager/prometheus'))).toBe(false);
    expect(existsSync(path.join(root, 'var/lib/promanager/data/prometheus'))).toBe(true);
    await runOk(['service', 'uninstall', 'node_exporter', '--hosts', 's3', '-y', '--purge'], { home, env });
    expect(existsSync(path.join(root, 'opt/promanager/node_exporter'))).toBe(false);
    const rows = JSON.parse((await runOk(['service', 'list', '--json', '--hosts', 's3'], { home, env })).stdout) as unknown[];
    expect(rows).toEqual([]);
  });
});

describe('generated systemd units', () => {
  it('pass systemd-analyze verify', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pm-unit-'));
    for (const component of ['prometheus', 'alertmanager', 'node_exporter'] as const) {
      const spec = planService({
        component, version: '1.0.0', artifactFile: 'x.tar.gz', artifactSha256: '0'.repeat(64),
        host: { name: 'h', ip: '10.0.0.1', cluster_name: 'c', vars: {}, uid: 1000, home: dir, has_systemd: true },
        overrides: { manager: 'systemd' },
      });
      const binary = path.join(spec.base_dir, 'current', spec.main_binary);
      mkdirSync(path.dirname(binary), { recursive: true });
      copyFileSync('/bin/true', binary);
      if (spec.data_dir) mkdirSync(spec.data_dir, { recursive: true });
      const unit = path.join(dir, spec.unit_name);
      writeFileSync(unit, spec.unit_text);
      expect(spec.unit_text).toMatch(/NoNewPrivileges=yes[\s\S]*ProtectSystem=strict[\s\S]*PrivateTmp=yes/);
      const out = execFileSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toBe('');
    }
  });
});
