import { describe, expect, it } from 'vitest';
import { artifactName, artifactUrl, releaseArch } from '../../src/components/catalog.js';
import { parseSha256Sums } from '../../src/components/artifacts.js';
import { parseArtifactFileName, upstreamVersion } from '../../src/components/import.js';
import { localUrl, planService } from '../../src/components/service-plan.js';

describe('component catalog', () => {
  it('maps machine names to release architectures', () => {
    expect([releaseArch('x86_64'), releaseArch('aarch64'), releaseArch('armv7l')]).toEqual(['amd64', 'arm64', 'armv7']);
  });
  it('names and locates artifacts like the official releases', () => {
    expect(artifactName('node_exporter', '1.8.2', 'arm64')).toBe('node_exporter-1.8.2.linux-arm64');
    expect(artifactUrl('https://github.com/prometheus/', 'prometheus', '2.53.1', 'sha256sums.txt')).toBe('https://github.com/prometheus/prometheus/releases/download/v2.53.1/sha256sums.txt');
  });
  it('reads sha256sums.txt and file names', () => {
    const sums = parseSha256Sums(`${'a'.repeat(64)}  prometheus-2.53.1.linux-amd64.tar.gz\n${'B'.repeat(64)} *x.zip\n\ngarbage\n`);
    expect(sums.get('prometheus-2.53.1.linux-amd64.tar.gz')).toBe('a'.repeat(64));
    expect(sums.get('x.zip')).toBe('b'.repeat(64));
    expect(parseArtifactFileName('/tmp/alertmanager-0.27.0.linux-arm64.tar.gz')).toEqual({ component: 'alertmanager', version: '0.27.0', arch: 'arm64' });
    expect(parseArtifactFileName('grafana-1.0.0.linux-amd64.tar.gz')).toBeNull();
    expect(upstreamVersion('2.42.0+ds-5+deb12u1')).toBe('2.42.0');
    expect(upstreamVersion('1:1.5.0-1+b6')).toBe('1.5.0');
  });
});

describe('service plan', () => {
  const host = { name: 'prom-1', ip: '10.0.0.11', cluster_name: 'prod', uid: 0, home: '/root', has_systemd: true };
  it('builds paths, user, flags and endpoints from inventory vars', () => {
    const spec = planService({ component: 'prometheus', version: '2.53.1', artifactFile: 'p.tar.gz', artifactSha256: 'f'.repeat(64), host: { ...host, vars: { prometheus_retention: '30d', prometheus_listen_address: '10.0.0.11:9090', prometheus_flags: '--query.timeout=1m' } } });
    expect(spec).toMatchObject({ base_dir: '/opt/promanager/prometheus', config_dir: '/etc/promanager/prometheus', data_dir: '/var/lib/promanager/data/prometheus', user: 'prometheus', manager: 'systemd', health_url: 'http://10.0.0.11:9090/-/ready', reload_url: 'http://10.0.0.11:9090/-/reload' });
    expect(spec.exec).toEqual(expect.arrayContaining(['--storage.tsdb.retention.time=30d', '--web.listen-address=10.0.0.11:9090', '--web.enable-lifecycle', '--query.timeout=1m']));
    expect(spec.unit_text).toContain('ExecStart=/opt/promanager/prometheus/current/prometheus --config.file=/etc/promanager/prometheus/prometheus.yml');
    expect(spec.unit_text).toContain('ReadWritePaths=/var/lib/promanager/data/prometheus\n');
    expect(spec.default_config?.content).toContain('cluster: prod');
  });
  it('installs under the home directory without root, under the supervisor without systemd', () => {
    const spec = planService({ component: 'node_exporter', version: '1.8.2', artifactFile: 'n.tar.gz', artifactSha256: 'f'.repeat(64), host: { ...host, uid: 1000, home: '/home/ops', has_systemd: false, vars: {} } });
    expect(spec).toMatchObject({ base_dir: '/home/ops/.local/share/promanager/opt/promanager/node_exporter', user: null, manager: 'supervisor', health_url: 'http://127.0.0.1:9100/metrics', data_dir: null });
  });
  it('points node_exporter at the textfile directory the writers use: node_exporter_textfile_dir, else the agent default', () => {
    const plan = (vars: Record<string, unknown>, who = { uid: 0, home: '/root' }) => planService({ component: 'node_exporter', version: '1.8.2', artifactFile: 'n.tar.gz', artifactSha256: 'f'.repeat(64), host: { ...host, ...who, vars } });
    expect(plan({}).exec).toContain('--collector.textfile.directory=/var/lib/promanager/textfile');
    expect(plan({}).textfile_dir).toBe('/var/lib/promanager/textfile');
    // as a user: the same directory the agent's jobs and FIM checks write to (~/.cache/promanager/textfile)
    expect(plan({}, { uid: 1000, home: '/home/ops' }).exec).toContain('--collector.textfile.directory=/home/ops/.cache/promanager/textfile');
    const moved = plan({ node_exporter_textfile_dir: '/var/lib/prometheus/node-exporter/' });
    expect(moved.exec).toContain('--collector.textfile.directory=/var/lib/prometheus/node-exporter');
    expect(moved.unit_text).toContain('ReadWritePaths=-/var/lib/prometheus/node-exporter');
    for (const bad of ['relative/dir', '/a/../etc', '/a b', '/x"\nExecStartPre=/bin/sh', 5]) {
      expect(() => plan({ node_exporter_textfile_dir: bad })).toThrow(/node_exporter_textfile_dir of host prom-1 .*absolute directory path/);
    }
  });
  it('keeps alertmanager gossip off unless peers are given', () => {
    const spec = planService({ component: 'alertmanager', version: '0.27.0', artifactFile: 'a.tar.gz', artifactSha256: 'f'.repeat(64), host: { ...host, vars: {} } });
    expect(spec.exec).toContain('--cluster.listen-address=');
  });
  it('rejects bad listen addresses and managers', () => {
    const base = { component: 'prometheus' as const, version: '1', artifactFile: 'x', artifactSha256: 'x' };
    expect(() => planService({ ...base, host: { ...host, vars: { prometheus_listen_address: '9090' } } })).toThrow(/host:port/);
    expect(() => planService({ ...base, host: { ...host, vars: { service_manager: 'upstart' } } })).toThrow(/service_manager/);
    expect(localUrl('[::]:9090', '/x')).toBe('http://127.0.0.1:9090/x');
  });
});
