// Rendering, file_sd targets, rule collection and diffs, without hosts: the bytes a push would send.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildBundle, type BundleInput } from '../../src/components/config-bundle.js';
import type { ConfigHost, ConfigService } from '../../src/components/config-model.js';
import { prometheusLabels, scrapeAddress } from '../../src/components/config-targets.js';
import { diffBundle, unifiedDiff } from '../../src/components/config-diff.js';
import { alertmanagerConfigHash } from '../../src/agent/config.js';

const host = (name: string, ip: string, labels: Record<string, string> = {}, vars: Record<string, unknown> = {}): ConfigHost => ({ name, ip, cluster_name: 'prod', labels, vars });
const prom = host('p1', '10.0.0.1', { role: 'prometheus' }, { prometheus_scrape_interval: '15s', prometheus_external_labels: { region: 'bj' } });
const node = host('n1', '10.0.0.2', { zone: 'a', 'example.com/tier': 'db', gpu: '' });
const services: ConfigService[] = [
  { component: 'prometheus', host: prom, listen_address: '10.0.0.1:9090' },
  { component: 'node_exporter', host: node, listen_address: '0.0.0.0:9100' },
  { component: 'node_exporter', host: prom, listen_address: '10.0.0.1:9100' },
  { component: 'alertmanager', host: node, listen_address: '10.0.0.2:9093' },
];

interface PromConfig {
  global: unknown;
  rule_files: string[];
  alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
  scrape_configs: Array<{ job_name: string; honor_labels?: boolean; file_sd_configs: unknown }>;
}

function input(over: Partial<BundleInput> = {}): BundleInput {
  const rulesDir = mkdtempSync(path.join(os.tmpdir(), 'pm-rules-'));
  return { component: 'prometheus', host: prom, clusterHosts: [prom, node], clusterServices: services, sources: { rulesDir, templatesDir: null }, ...over };
}

describe('prometheus bundle', () => {
  it('renders valid YAML with the cluster, interval, alertmanagers, rule files and one file_sd job per component', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pm-rules-'));
    writeFileSync(path.join(dir, 'node.yml'), 'groups: []\n');
    mkdirSync(path.join(dir, 'prod'));
    writeFileSync(path.join(dir, 'prod', 'prod.yml'), 'groups: []\n');
    mkdirSync(path.join(dir, 'other'));
    writeFileSync(path.join(dir, 'other', 'x.yml'), 'groups: []\n');
    writeFileSync(path.join(dir, 'README.md'), 'not a rule file');
    const bundle = buildBundle(input({ sources: { rulesDir: dir, templatesDir: null } }));
    expect(bundle.files.map((f) => f.path)).toEqual(['prometheus.yml', 'rules/node.yml', 'rules/prod/prod.yml', 'targets/prometheus.json', 'targets/alertmanager.json', 'targets/node_exporter.json', 'targets/pushgateway.json', 'targets/blackbox_exporter.json']);
    const cfg = YAML.parse(bundle.files[0]!.content) as PromConfig;
    expect(cfg.global).toEqual({ scrape_interval: '15s', evaluation_interval: '15s', external_labels: { region: 'bj', cluster: 'prod' } });
    expect(cfg.rule_files).toEqual(['rules/node.yml', 'rules/prod/prod.yml']);
    expect(cfg.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(['10.0.0.2:9093']);
    expect(cfg.scrape_configs.map((j) => j.job_name)).toEqual(['prometheus', 'alertmanager', 'node_exporter', 'pushgateway', 'blackbox_exporter']);
    expect(cfg.scrape_configs[2]!.file_sd_configs).toEqual([{ files: ['targets/node_exporter.json'] }]);
    expect(cfg.scrape_configs[3]!.honor_labels).toBe(true);
  });

  it('lists targets sorted by host, reachable at the host address, with sanitised labels plus cluster and host', () => {
    const bundle = buildBundle(input());
    const nodes = JSON.parse(bundle.files.find((f) => f.path === 'targets/node_exporter.json')!.content) as unknown;
    expect(nodes).toEqual([
      { targets: ['10.0.0.2:9100'], labels: { zone: 'a', example_com_tier: 'db', gpu: 'true', cluster: 'prod', host: 'n1' } },
      { targets: ['10.0.0.1:9100'], labels: { role: 'prometheus', cluster: 'prod', host: 'p1' } },
    ]);
    expect(JSON.parse(bundle.files.find((f) => f.path === 'targets/pushgateway.json')!.content)).toEqual([]);
  });

  it('leaves out alerting when the cluster has no alertmanager, and rule_files when there are no rules', () => {
    const cfg = YAML.parse(buildBundle(input({ clusterServices: services.filter((s) => s.component !== 'alertmanager') })).files[0]!.content) as Record<string, unknown>;
    expect(cfg.alerting).toBeUndefined();
    expect(cfg.rule_files).toBeUndefined();
  });

  it('uses a template override and reports an undefined variable instead of rendering it empty', () => {
    const templatesDir = mkdtempSync(path.join(os.tmpdir(), 'pm-tpl-'));
    writeFileSync(path.join(templatesDir, 'prometheus.yml.njk'), 'global: { scrape_interval: {{ scrape_interval }} }\n# {{ host.name }} {{ labels.role }}\n');
    expect(buildBundle(input({ sources: { rulesDir: '/nonexistent', templatesDir } })).files[0]!.content).toBe('global: { scrape_interval: 15s }\n# p1 prometheus\n');
    writeFileSync(path.join(templatesDir, 'prometheus.yml.njk'), 'x: {{ scrape_intervall }}\n');
    expect(() => buildBundle(input({ sources: { rulesDir: '/nonexistent', templatesDir } }))).toThrow(/template prometheus\.yml\.njk: .*pm-tpl-.*prometheus\.yml\.njk.*Line 1, Column \d+.*undefined value/);
  });
});

describe('alertmanager bundle', () => {
  it('takes the route and receivers from inventory vars, with a default receiver otherwise', () => {
    const plain = YAML.parse(buildBundle(input({ component: 'alertmanager', host: node })).files[0]!.content) as { route: { receiver: string }; receivers: unknown[] };
    expect(plain.route.receiver).toBe('default');
    expect(plain.receivers).toEqual([{ name: 'default' }]);
    const vars = { alertmanager_route: { receiver: 'ops', group_by: ['alertname'] }, alertmanager_receivers: [{ name: 'ops', webhook_configs: [{ url: 'http://hook:5001/' }] }] };
    const custom = YAML.parse(buildBundle(input({ component: 'alertmanager', host: { ...node, vars } })).files[0]!.content) as Record<string, unknown>;
    expect(custom).toEqual({ route: vars.alertmanager_route, receivers: vars.alertmanager_receivers });
  });

  it('computes the config hash metric the way Alertmanager does (48 bits of md5, little-endian)', () => {
    // md5("") = d41d8cd98f00b204e9800998ecf8427e: bytes d4 1d 8c d9 8f 00, read little-endian
    expect(alertmanagerConfigHash('')).toBe(0x008fd98c1dd4);
  });
});

describe('targets helpers', () => {
  it('maps wildcard listen addresses to the host and keeps explicit ones', () => {
    expect(scrapeAddress('0.0.0.0:9100', '10.1.1.1')).toBe('10.1.1.1:9100');
    expect(scrapeAddress(':9100', 'fd00::1')).toBe('[fd00::1]:9100');
    expect(scrapeAddress('127.0.0.2:9100', '10.1.1.1')).toBe('127.0.0.2:9100');
    expect(prometheusLabels({ '1a': 'x', 'a.b-c': 'y' })).toEqual({ _1a: 'x', a_b_c: 'y' });
  });
});

describe('diffs', () => {
  it('produces diff -u hunks', () => {
    const a = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n';
    const b = 'a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\n';
    expect(unifiedDiff(a, b, 'old', 'new')).toBe('--- old\n+++ new\n@@ -1,10 +1,11 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n i\n j\n+k\n');
    expect(unifiedDiff('x\n', 'x\n', 'a', 'b')).toBe('');
    expect(unifiedDiff('', 'new\n', '/dev/null', 'b')).toBe('--- /dev/null\n+++ b\n@@ -0,0 +1,1 @@\n+new\n');
  });

  it('reports new, changed and pruned files, ignoring unmanaged ones', () => {
    const d = diffBundle([{ path: 'prometheus.yml', content: 'x: 2\n' }, { path: 'rules/new.yml', content: 'groups: []\n' }], { 'prometheus.yml': 'x: 1\n', 'rules/new.yml': null, 'rules/old.yml': 'groups: []\n' }, ['prometheus.yml', 'rules/old.yml'], 'h1');
    expect(d.changed).toEqual(['prometheus.yml', 'rules/new.yml']);
    expect(d.pruned).toEqual(['rules/old.yml']);
    expect(d.text).toContain('--- h1:rules/old.yml\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-groups: []\n');
    expect(d.text).toContain('-x: 1\n+x: 2\n');
  });
});
