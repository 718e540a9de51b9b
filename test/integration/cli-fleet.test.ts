// The foundation through the real CLI: clusters, hosts, labels, selectors, components, output modes, exit codes.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, runOk, tempHome } from '../helpers/cli.js';

describe('clusters and hosts', () => {
  let home: string;
  beforeAll(async () => {
    home = tempHome();
    await runOk(['init'], { home });
    await runOk(['cluster', 'add', 'prod-bj', '--description', 'Beijing production'], { home });
    await runOk(['cluster', 'add', 'staging'], { home });
    await runOk(['host', 'add', '10.0.0.11', '--cluster', 'prod-bj', '--name', 'prom-1', '--label', 'env=prod', '--label', 'zone=a', '--label', 'role=prometheus'], { home });
    await runOk(['host', 'add', '10.0.0.12', '-c', 'prod-bj', '--name', 'node-2', '--label', 'env=prod', '--label', 'zone=b', '--label', 'gpu'], { home });
    await runOk(['host', 'add', '10.0.0.13', '-c', 'prod-bj', '--name', 'node-3', '--label', 'env=prod', '--label', 'zone=c', '--user', 'ops', '--port', '2222', '--become'], { home });
    await runOk(['host', 'add', '10.0.1.21', '-c', 'staging', '--name', 'stg-1', '--label', 'env=staging', '--label', 'zone=a'], { home });
  });

  it('lists hosts as JSON with the data model field names, globals before or after the command', async () => {
    const a = await runOk(['host', 'list', '--json'], { home });
    const b = await runOk(['--json', 'host', 'list'], { home });
    expect(a.stdout).toBe(b.stdout);
    const hosts = JSON.parse(a.stdout) as Array<Record<string, unknown>>;
    expect(hosts.map((h) => h.name)).toEqual(['prom-1', 'node-2', 'node-3', 'stg-1']);
    expect(hosts[0]).toMatchObject({ ip: '10.0.0.11', cluster_name: 'prod-bj', status: 'unknown', hostname: null, labels: { env: 'prod', zone: 'a', role: 'prometheus' } });
    for (const field of ['id', 'cluster_id', 'cpu', 'mem', 'root', 'os', 'create_at', 'update_at']) expect(hosts[0]).toHaveProperty(field);
    expect(hosts[2]!.ssh).toEqual({ user: 'ops', port: 2222, become: true });
  });

  it('prints plain tab-separated records when piped', async () => {
    const r = await runOk(['host', 'list', '-c', 'staging'], { home });
    expect(r.stdout).toBe('stg-1\t10.0.1.21\tstaging\tunknown\tenv=staging,zone=a\n');
  });

  it('selects hosts with the full selector grammar', async () => {
    const names = async (sel: string) => (JSON.parse((await runOk(['host', 'list', '--json', '-l', sel], { home })).stdout) as Array<{ name: string }>).map((h) => h.name);
    expect(await names('env=prod,zone in (a,b)')).toEqual(['prom-1', 'node-2']);
    expect(await names('env==prod,zone notin (a)')).toEqual(['node-2', 'node-3']);
    expect(await names('gpu')).toEqual(['node-2']);
    expect(await names('!gpu,env!=staging')).toEqual(['prom-1', 'node-3']);
    expect(await names('role')).toEqual(['prom-1']);
  });

  it('targets by --hosts names, IPs and globs, and --cluster', async () => {
    const r = await runOk(['host', 'list', '--json', '--hosts', 'node-*,10.0.1.21'], { home });
    expect((JSON.parse(r.stdout) as Array<{ name: string }>).map((h) => h.name)).toEqual(['node-2', 'node-3', 'stg-1']);
    const missing = await runCli(['host', 'list', '--hosts', 'prom-2'], { home });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("host 'prom-2' not found");
    expect(missing.stderr).toContain("did you mean 'prom-1'");
  });

  it('refuses a malformed selector with exit 2 and the position', async () => {
    const r = await runCli(['host', 'list', '-l', 'env=prod,zone in a,b'], { home });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/malformed selector at position \d+/);
    expect(r.stderr).toContain('^');
  });

  it('refuses duplicate and invalid hosts without changing the state', async () => {
    const before = readFileSync(`${home}/db.json`, 'utf8');
    const dup = await runCli(['host', 'add', '10.0.0.11', '-c', 'staging'], { home });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("a host with IP 10.0.0.11 already exists ('prom-1' in cluster 'prod-bj')");
    const bad = await runCli(['host', 'add', '10.0.0.300', '-c', 'staging'], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("invalid IP address '10.0.0.300'");
    const badLabel = await runCli(['host', 'add', '10.0.0.99', '-c', 'staging', '--label', 'bad key=x'], { home });
    expect(badLabel.code).toBe(2);
    const badValue = await runCli(['host', 'add', '10.0.0.99', '-c', 'staging', '--label', `k=${'x'.repeat(64)}`], { home });
    expect(badValue.code).toBe(2);
    const noCluster = await runCli(['host', 'add', '10.0.0.99', '-c', 'stagin'], { home });
    expect(noCluster.code).toBe(1);
    expect(noCluster.stderr).toContain("did you mean 'staging'");
    expect(readFileSync(`${home}/db.json`, 'utf8')).toBe(before);
  });

  it('changes labels and keeps the Label table per cluster in step', async () => {
    await runOk(['host', 'label', 'node-3', 'zone=b', 'tier=db', 'gpu'], { home });
    await runOk(['host', 'label', 'node-2', 'gpu-'], { home });
    const labels = JSON.parse((await runOk(['label', 'list', '-c', 'prod-bj', '--json'], { home })).stdout) as Array<{ label_name: string; hosts: number; values: Record<string, number> }>;
    const byName = Object.fromEntries(labels.map((l) => [l.label_name, l]));
    expect(byName.zone).toMatchObject({ hosts: 3, values: { a: 1, b: 2 } });
    expect(byName.gpu).toMatchObject({ hosts: 1, values: { '': 1 } });
    expect(byName.tier).toMatchObject({ hosts: 1 });
    const db = JSON.parse(readFileSync(`${home}/db.json`, 'utf8')) as { labels: Array<{ label_name: string; cluster_id: number }> };
    const keys = db.labels.map((l) => `${l.cluster_id}:${l.label_name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const bad = await runCli(['host', 'label', 'node-3', '-bad=x'], { home });
    expect(bad.code).toBe(2);
  });

  it('shows a host and a cluster', async () => {
    const h = JSON.parse((await runOk(['host', 'show', '10.0.0.11', '--json'], { home })).stdout) as Record<string, unknown>;
    expect(h).toMatchObject({ name: 'prom-1', cluster_name: 'prod-bj', services: [] });
    const c = JSON.parse((await runOk(['cluster', 'show', 'prod-bj', '--json'], { home })).stdout) as Record<string, unknown>;
    expect(c).toMatchObject({ cluster_name: 'prod-bj', description: 'Beijing production', hosts: ['prom-1', 'node-2', 'node-3'] });
    const list = JSON.parse((await runOk(['cluster', 'list', '--json'], { home })).stdout) as Array<Record<string, unknown>>;
    expect(list.map((x) => [x.cluster_name, x.hosts])).toEqual([['prod-bj', 3], ['staging', 1]]);
  });

  it('refuses to remove a cluster with hosts unless confirmed', async () => {
    const dup = await runCli(['cluster', 'add', 'staging'], { home });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("cluster 'staging' already exists");
    const refused = await runCli(['cluster', 'remove', 'staging'], { home });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await runOk(['host', 'list', '-c', 'staging'], { home })).stdout).toContain('stg-1');
    const dry = await runOk(['cluster', 'remove', 'staging', '--dry-run'], { home });
    expect(dry.stderr).toContain('would remove');
    await runOk(['cluster', 'remove', 'staging', '-y'], { home });
    const hosts = JSON.parse((await runOk(['host', 'list', '--json'], { home })).stdout) as Array<{ name: string }>;
    expect(hosts.map((h) => h.name)).not.toContain('stg-1');
  });

  it('keeps components unique by name and version', async () => {
    await runOk(['component', 'add', 'prometheus', '2.53.1', '--description', 'LTS'], { home });
    await runOk(['component', 'add', 'prometheus', 'v2.42.0'], { home });
    const dup = await runCli(['component', 'add', 'prometheus', '2.53.1'], { home });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
    const list = await runOk(['component', 'list'], { home });
    expect(list.stdout).toBe('prometheus\t2.42.0\t-\nprometheus\t2.53.1\tLTS\n');
    expect((await runCli(['component', 'add', 'prometheus', 'latest!'], { home })).code).toBe(2);
  });

  it('answers usage errors with exit 2', async () => {
    expect((await runCli(['frobnicate'], { home })).code).toBe(2);
    expect((await runCli(['host', 'add'], { home })).code).toBe(2);
    expect((await runCli(['host', 'list', '--no-such-flag'], { home })).code).toBe(2);
    expect((await runCli(['host'], { home })).code).toBe(2);
    expect((await runCli(['--forks', 'many', 'host', 'list'], { home })).code).toBe(2);
    const help = await runCli(['host', 'add', '--help'], { home });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Example:');
  });
});
