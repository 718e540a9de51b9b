// config render/diff/push against real SSH test hosts running real Prometheus, Alertmanager and node_exporter
// (installed by promanager from a local mirror of Debian's binaries), read back through their HTTP APIs.
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runOk, tempHome } from '../helpers/cli.js';
import { startFleet, testHostsUnavailableReason, type TestFleet, testDir } from '../fixtures/testhosts.js';
import { startMirror, type Mirror } from '../fixtures/mirror.js';

const skip = testHostsUnavailableReason();

interface HostLine { type: string; host: string; ok: boolean; changed: boolean; error: string | null; files_changed: string[]; pruned: string[]; diff: string | null; confirmation: string | null }
const hostLines = (out: string) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as HostLine).filter((l) => l.type === 'host');

interface Target { labels: Record<string, string>; health: string; scrapePool: string }

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as T;
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    last = await probe();
  }
  return last;
}

describe.skipIf(skip !== undefined)(`config on real hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fleet: TestFleet;
  let mirror: Mirror;
  let home: string;
  let env: Record<string, string>;
  let inventory: string;
  let rulesDir: string;
  const ip = (n: string) => fleet.hosts.find((h) => h.name === n)!.ip;
  const prom = () => `http://${ip('c1')}:9090`;
  const nodeTargets = async () => (await getJson<{ data: { activeTargets: Target[] } }>(`${prom()}/api/v1/targets?state=active`)).data.activeTargets.filter((t) => t.scrapePool === 'node_exporter');
  const ruleGroups = async () => (await getJson<{ data: { groups: Array<{ name: string }> } }>(`${prom()}/api/v1/rules`)).data.groups.map((g) => g.name).sort();
  const runtime = async () => (await getJson<{ data: { reloadConfigSuccess: boolean; lastConfigTime: string; startTime: string } }>(`${prom()}/api/v1/status/runtimeinfo`)).data;

  function writeInventory(c2Zone: string): void {
    const hostVars = (n: string) => `{ prometheus_listen_address: '${ip(n)}:9090', alertmanager_listen_address: '${ip(n)}:9093', node_exporter_listen_address: '${ip(n)}:9100' }`;
    writeFileSync(inventory, [
      'defaults:',
      `  ssh: { user: root, key: ${fleet.keyFile} }`,
      `  vars: { artifact_mirror: '${mirror.baseUrl}', health_timeout: 30, prometheus_scrape_interval: 1s }`,
      'clusters:',
      '  alpha:',
      '    labels: { env: prod }',
      '    vars:',
      '      alertmanager_route: { receiver: ops-webhook, group_by: [alertname, cluster], group_wait: 10s }',
      "      alertmanager_receivers: [{ name: ops-webhook, webhook_configs: [{ url: 'http://127.0.0.1:5001/hook' }] }]",
      '    hosts:',
      `      - { name: c1, ip: ${ip('c1')}, labels: { role: prometheus, zone: a }, vars: ${hostVars('c1')} }`,
      `      - { name: c2, ip: ${ip('c2')}, labels: { zone: ${c2Zone} }, vars: ${hostVars('c2')} }`,
      '  beta:',
      '    hosts:',
      `      - { name: c3, ip: ${ip('c3')}, vars: ${hostVars('c3')} }`,
      '',
    ].join('\n'));
  }
  const rule = (group: string, expr = 'up == 0') => `groups:\n  - name: ${group}\n    rules:\n      - alert: ${group}_down\n        expr: ${expr}\n        for: 1m\n`;
  const cli = (args: string[]) => runCli(args, { home, env });
  const ok = (args: string[]) => runOk(args, { home, env });

  beforeAll(async () => {
    [fleet, mirror] = await Promise.all([
      startFleet(['c1', 'c2', 'c3'].map((name) => ({ name })), { dir: testDir('pm-testhosts-config'), firstIp: 100 }),
      startMirror([{ component: 'prometheus', version: '2.42.0' }, { component: 'alertmanager', version: '0.25.0' }, { component: 'node_exporter', version: '1.5.0' }]),
    ]);
    home = tempHome();
    mkdirSync(path.join(home, 'inv'));
    inventory = path.join(home, 'inv', 'fleet.yml');
    rulesDir = path.join(home, 'inv', 'rules');
    mkdirSync(path.join(rulesDir, 'alpha'), { recursive: true });
    writeFileSync(path.join(rulesDir, 'node.yml'), rule('node'));
    writeFileSync(path.join(rulesDir, 'alpha', 'extra.yml'), rule('alpha_extra'));
    writeFileSync(path.join(rulesDir, 'beta.yml.disabled'), 'ignored');
    writeInventory('a');
    env = { PROMANAGER_KNOWN_HOSTS: fleet.knownHostsFile, PROMANAGER_INVENTORY: inventory };
    await runOk(['inventory', 'import', inventory], { home, env: { ...env, PROMANAGER_INVENTORY: undefined } });
    await Promise.all([
      ok(['service', 'install', 'prometheus', '--version', '2.42.0', '--hosts', 'c1']),
      ok(['service', 'install', 'alertmanager', '--version', '0.25.0', '--hosts', 'c1']),
      ok(['service', 'install', 'node_exporter', '--version', '1.5.0']),
    ]);
  }, 240_000);

  afterAll(async () => {
    await mirror?.close();
    await fleet?.stop();
  });

  it('renders per host without contacting it: rules of the cluster, the cluster\'s exporters only, its alertmanager', async () => {
    const rendered = JSON.parse((await ok(['config', 'render', 'prometheus', '--json'])).stdout) as Array<{ host: string; files: Array<{ path: string; content: string }> }>;
    expect(rendered.map((r) => r.host)).toEqual(['c1']);
    const files = new Map(rendered[0]!.files.map((f) => [f.path, f.content]));
    expect([...files.keys()]).toEqual(expect.arrayContaining(['prometheus.yml', 'rules/node.yml', 'rules/alpha/extra.yml', 'targets/node_exporter.json']));
    const nodes = JSON.parse(files.get('targets/node_exporter.json')!) as Array<{ targets: string[] }>;
    expect(nodes.map((g) => g.targets[0])).toEqual([`${ip('c1')}:9100`, `${ip('c2')}:9100`]);
    expect(files.get('prometheus.yml')).toContain(`- targets: ["${ip('c1')}:9093"]`);
    const refused = await cli(['config', 'render', 'prometheus', '--hosts', 'c3']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('runs prometheus');
  });

  it('diffs before the first push, and --dry-run is the same diff, changing nothing', async () => {
    const diff = await ok(['config', 'diff', 'prometheus']);
    expect(diff.stdout).toMatch(new RegExp(`--- c1:/etc/promanager/prometheus:prometheus.yml\\n\\+\\+\\+ c1:/etc/promanager/prometheus:prometheus.yml\\n@@`));
    expect(diff.stdout).toContain('+++ c1:/etc/promanager/prometheus:rules/node.yml');
    const dry = hostLines((await ok(['config', 'push', 'prometheus', '--dry-run', '--json'])).stdout)[0]!;
    expect(dry).toMatchObject({ ok: true, changed: true });
    expect(dry.files_changed).toContain('rules/alpha/extra.yml');
    expect((await fleet.exec('c1', 'ls /etc/promanager/prometheus/rules 2>&1')).code).not.toBe(0);
  });

  it('pushes, reloads and confirms; Prometheus scrapes the inventory\'s node_exporters with their labels and loads the rules', async () => {
    const line = hostLines((await ok(['config', 'push', 'prometheus', '--json'])).stdout)[0]!;
    expect(line).toMatchObject({ host: 'c1', ok: true, changed: true });
    expect(line.confirmation).toMatch(/reloadConfigSuccess true, lastConfigTime/);
    const targets = await eventually(nodeTargets, (t) => t.length === 2 && t.every((x) => x.health === 'up'));
    expect(targets.map((t) => t.labels).sort((a, b) => a.host!.localeCompare(b.host!))).toEqual([
      { cluster: 'alpha', host: 'c1', env: 'prod', role: 'prometheus', zone: 'a', instance: `${ip('c1')}:9100`, job: 'node_exporter' },
      { cluster: 'alpha', host: 'c2', env: 'prod', zone: 'a', instance: `${ip('c2')}:9100`, job: 'node_exporter' },
    ]);
    expect(await ruleGroups()).toEqual(['alpha_extra', 'node']);
    const ams = await eventually(() => getJson<{ data: { activeAlertmanagers: Array<{ url: string }> } }>(`${prom()}/api/v1/alertmanagers`), (r) => r.data.activeAlertmanagers.length === 1);
    expect(ams.data.activeAlertmanagers[0]!.url).toBe(`http://${ip('c1')}:9093/api/v2/alerts`);
    const again = hostLines((await ok(['config', 'push', 'prometheus', '--json'])).stdout)[0]!;
    expect(again).toMatchObject({ ok: true, changed: false });
    const diff = hostLines((await ok(['config', 'diff', 'prometheus', '--json'])).stdout)[0]!;
    expect(diff).toMatchObject({ changed: false, diff: '' });
  });

  it('a label change updates only the target file, without a restart', async () => {
    const before = await runtime();
    writeInventory('b');
    const line = hostLines((await ok(['config', 'push', 'prometheus', '--json'])).stdout)[0]!;
    expect(line.files_changed).toEqual(['targets/node_exporter.json']);
    const targets = await eventually(nodeTargets, (t) => t.some((x) => x.labels.host === 'c2' && x.labels.zone === 'b'));
    expect(targets.find((t) => t.labels.host === 'c2')!.labels.zone).toBe('b');
    expect((await runtime()).startTime).toBe(before.startTime);
  });

  it('refuses a broken rule with promtool\'s message, leaving the old config and rules active', async () => {
    const configBefore = (await fleet.exec('c1', 'cat /etc/promanager/prometheus/prometheus.yml')).stdout;
    writeFileSync(path.join(rulesDir, 'broken.yml'), rule('broken', 'sum(up'));
    const r = await cli(['config', 'push', 'prometheus']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/c1\tfailed\t.*promtool check config prometheus\.yml refused the new config \(nothing was changed\)/);
    expect(r.stdout).toContain('rules/broken.yml');
    expect(r.stdout).toMatch(/parse error|unclosed left parenthesis/);
    expect((await fleet.exec('c1', 'cat /etc/promanager/prometheus/prometheus.yml')).stdout).toBe(configBefore);
    expect((await fleet.exec('c1', 'test -e /etc/promanager/prometheus/rules/broken.yml')).code).not.toBe(0);
    expect((await fleet.exec('c1', 'ls -A /etc/promanager/prometheus/.promanager')).stdout.trim()).toBe('manifest.json');
    expect(await ruleGroups()).toEqual(['alpha_extra', 'node']);
    expect((await runtime()).reloadConfigSuccess).toBe(true);
    rmSync(path.join(rulesDir, 'broken.yml'));
  });

  it('prunes a managed rule file whose source is gone and never touches files it does not manage', async () => {
    await fleet.exec('c1', 'printf "groups: []\\n" > /etc/promanager/prometheus/rules/handmade.yml');
    rmSync(path.join(rulesDir, 'alpha', 'extra.yml'));
    const line = hostLines((await ok(['config', 'push', 'prometheus', '--json'])).stdout)[0]!;
    expect(line.pruned).toEqual(['rules/alpha/extra.yml']);
    expect((await fleet.exec('c1', 'test -e /etc/promanager/prometheus/rules/alpha/extra.yml')).code).not.toBe(0);
    expect((await fleet.exec('c1', 'cat /etc/promanager/prometheus/rules/handmade.yml')).stdout).toBe('groups: []\n');
    expect(await ruleGroups()).toEqual(['node']);
  });

  it('round-trips the Alertmanager config from inventory vars, confirmed by its status API', async () => {
    const line = hostLines((await ok(['config', 'push', 'alertmanager', '--json'])).stdout)[0]!;
    expect(line).toMatchObject({ host: 'c1', ok: true, changed: true });
    expect(line.confirmation).toContain('alertmanager_config_hash matches');
    const status = await getJson<{ config: { original: string } }>(`http://${ip('c1')}:9093/api/v2/status`);
    expect(status.config.original).toContain('receiver: ops-webhook');
    expect(status.config.original).toContain('http://127.0.0.1:5001/hook');
    expect(hostLines((await ok(['config', 'diff', 'alertmanager', '--json'])).stdout)[0]).toMatchObject({ changed: false });
    const onHost = (await fleet.exec('c1', 'cat /etc/promanager/alertmanager/alertmanager.yml')).stdout;
    const rendered = JSON.parse((await ok(['config', 'render', 'alertmanager', '--json'])).stdout) as Array<{ files: Array<{ content: string }> }>;
    expect(onHost).toBe(rendered[0]!.files[0]!.content);
  });
});
