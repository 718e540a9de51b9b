// From inventory variables to the exact service an agent sets up on one host: paths, user, flags, listen
// address, health and reload endpoints, the systemd unit. Pure, so the plan can be shown (--dry-run) and tested.
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import type { ServiceSpec } from '../agent/service-spec.js';
import { CATALOG, type ComponentName } from './catalog.js';
import { fillTemplate, loadTemplate } from './templates.js';
import { serviceLayout } from '../agent/layout.js';
import { textfileDirFor } from './textfile-dir.js';

export interface HostContext {
  name: string;
  ip: string;
  cluster_name: string;
  vars: Record<string, unknown>;
  /** from the host's facts */
  uid: number;
  home: string;
  has_systemd: boolean;
}

export interface PlanInput {
  component: ComponentName;
  version: string;
  artifactFile: string;
  artifactSha256: string;
  host: HostContext;
  /** --listen-address etc. from flags beat inventory vars */
  overrides?: { listen_address?: string; manager?: string };
  inventoryFile?: string;
}

function flagsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  return [];
}

function hostPort(address: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(address);
  if (!m) throw new UsageError(`listen address '${address}' must be host:port, e.g. 0.0.0.0:9090`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Where a client on the host itself reaches the listener. */
export function localUrl(address: string, urlPath: string): string {
  const { host, port } = hostPort(address);
  const reach = host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reach}:${port}${urlPath}`;
}

export function planService(input: PlanInput): ServiceSpec {
  const spec = CATALOG[input.component];
  const c = input.component;
  const v = input.host.vars;
  const root = input.host.uid === 0;
  const who = { root, home: input.host.home };
  const layout = serviceLayout(c, who);
  const listen = input.overrides?.listen_address ?? (typeof v[`${c}_listen_address`] === 'string' ? (v[`${c}_listen_address`] as string) : `0.0.0.0:${spec.defaultPort}`);
  hostPort(listen);
  const managerVar = String(input.overrides?.manager ?? v.service_manager ?? 'auto');
  if (!['auto', 'systemd', 'supervisor'].includes(managerVar)) throw new UsageError(`service_manager must be auto, systemd or supervisor, not '${managerVar}'`);
  const manager = managerVar === 'auto' ? (input.host.has_systemd && root ? 'systemd' : 'supervisor') : (managerVar as 'systemd' | 'supervisor');
  const base = layout.base_dir;
  const configDir = layout.config_dir;
  const dataDir = spec.needsDataDir ? layout.data_dir : null;
  // Only node_exporter reads it; the writers (jobs, FIM) get the same directory from the same variable.
  const textfileDir = c === 'node_exporter' ? textfileDirFor(v, input.host.name, who) : null;
  const bin = `{current}/${spec.mainBinary}`;
  const configFile = spec.configFile ? path.join(configDir, spec.configFile) : null;
  const exec: string[] = [bin];
  switch (c) {
    case 'prometheus':
      exec.push(`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, `--storage.tsdb.retention.time=${String(v.prometheus_retention ?? '15d')}`,
        `--web.listen-address=${listen}`, '--web.enable-lifecycle', '--web.console.templates={current}/consoles', '--web.console.libraries={current}/console_libraries');
      break;
    case 'alertmanager':
      // Clustering gossips on 0.0.0.0:9094 by default; off unless peers are given, so two on one network never collide.
      exec.push(`--config.file=${configFile}`, `--storage.path=${dataDir}`, `--web.listen-address=${listen}`, `--cluster.listen-address=${v.alertmanager_cluster_listen_address ?? ''}`);
      for (const peer of flagsOf(v.alertmanager_cluster_peers)) exec.push(`--cluster.peer=${peer}`);
      break;
    case 'node_exporter':
      exec.push(`--web.listen-address=${listen}`, `--collector.textfile.directory=${textfileDir}`);
      break;
    case 'pushgateway':
      exec.push(`--web.listen-address=${listen}`, `--persistence.file=${dataDir}/pushgateway.data`);
      break;
    case 'blackbox_exporter':
      exec.push(`--config.file=${configFile}`, `--web.listen-address=${listen}`);
      break;
  }
  exec.push(...flagsOf(v[`${c}_flags`]));
  const user = root ? c : null;
  const templateValues = { scrape_interval: String(v.prometheus_scrape_interval ?? '30s'), cluster: input.host.cluster_name, host: input.host.name, listen_address: listen.replace(/^0\.0\.0\.0:/, 'localhost:') };
  const defaultConfig = spec.configFile ? { file: configFile!, content: fillTemplate(loadTemplate(spec.configFile, input.inventoryFile), templateValues, spec.configFile) } : null;
  const current = `${base}/current`;
  const unitText = fillTemplate(loadTemplate('systemd.service', input.inventoryFile), {
    description: spec.description,
    user: user ?? 'root',
    group: user ?? 'root',
    exec_start: exec.map((a) => a.split('{current}').join(current)).map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' '),
    stop_timeout: 30,
    // `-` makes a path optional: systemd refuses to start when a listed path is missing.
    read_write_paths: [dataDir, textfileDir ? `-${textfileDir}` : null].filter(Boolean).join(' '),
    working_directory: dataDir ?? '/',
  }, 'systemd.service');
  return {
    component: c,
    version: input.version,
    main_binary: spec.mainBinary,
    artifact: path.join(layout.artifacts_dir, input.artifactFile),
    artifact_sha256: input.artifactSha256,
    base_dir: base,
    config_dir: configDir,
    data_dir: dataDir,
    log_file: layout.log_file,
    run_dir: layout.run_dir,
    textfile_dir: textfileDir,
    user,
    exec,
    listen_address: listen,
    health_url: localUrl(listen, spec.healthPath),
    reload: spec.reload,
    reload_url: spec.reload === 'http' ? localUrl(listen, '/-/reload') : null,
    manager,
    unit_name: `${c}.service`,
    unit_text: unitText,
    default_config: defaultConfig,
    stop_timeout_s: 30,
    health_timeout_s: Number(v.health_timeout ?? 60),
    log_max_bytes: 10 * 1024 * 1024,
    log_keep: 3,
  };
}
