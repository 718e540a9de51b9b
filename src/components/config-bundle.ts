// What one host receives for a component: the rendered main config plus, for Prometheus, the rule files and
// the file_sd target files it refers to. Pure: everything it needs is passed in, so render, diff and push all
// show exactly the same bytes.
import { CATALOG } from './catalog.js';
import type { ConfigBundle, ConfigComponent, ConfigFile, ConfigHost, ConfigService, ConfigSources } from './config-model.js';
import { collectRules } from './config-rules.js';
import { SCRAPED_COMPONENTS, scrapeAddress, targetFilePath, targetFiles } from './config-targets.js';
import { renderTemplate } from './config-templates.js';

export interface BundleInput {
  component: ConfigComponent;
  host: ConfigHost;
  /** every host of the host's cluster */
  clusterHosts: ConfigHost[];
  /** every service record of the host's cluster */
  clusterServices: ConfigService[];
  sources: ConfigSources;
}

function stringVar(vars: Record<string, unknown>, key: string, fallback: string): string {
  const v = vars[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : fallback;
}

function objectVar(vars: Record<string, unknown>, key: string): Record<string, unknown> | null {
  const v = vars[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Variables every template sees: the host, its cluster, the inventory vars (most specific wins). */
function commonValues(input: BundleInput): Record<string, unknown> {
  const { host } = input;
  return {
    cluster: host.cluster_name,
    host: { name: host.name, ip: host.ip, labels: host.labels },
    hosts: input.clusterHosts.map((h) => ({ name: h.name, ip: h.ip, labels: h.labels })),
    labels: host.labels,
    vars: host.vars,
  };
}

function alertmanagerTargets(input: BundleInput): string[] {
  return input.clusterServices
    .filter((s) => s.component === 'alertmanager')
    .sort((a, b) => a.host.name.localeCompare(b.host.name))
    .map((s) => scrapeAddress(s.listen_address, s.host.ip));
}

function prometheusBundle(input: BundleInput): ConfigBundle {
  const v = input.host.vars;
  const rules = collectRules(input.sources.rulesDir, input.host.cluster_name);
  const scrapeInterval = stringVar(v, 'prometheus_scrape_interval', '30s');
  const values = {
    ...commonValues(input),
    scrape_interval: scrapeInterval,
    scrape_timeout: stringVar(v, 'prometheus_scrape_timeout', ''),
    evaluation_interval: stringVar(v, 'prometheus_evaluation_interval', scrapeInterval),
    retention: stringVar(v, 'prometheus_retention', '15d'),
    // The cluster label identifies the series' origin once several Prometheus servers feed one place.
    external_labels: { ...objectVar(v, 'prometheus_external_labels'), cluster: input.host.cluster_name },
    rule_files: rules.map((r) => r.path),
    alertmanagers: alertmanagerTargets(input),
    scrape_jobs: SCRAPED_COMPONENTS.map((c) => ({ job_name: c, file: targetFilePath(c), honor_labels: c === 'pushgateway' })),
  };
  const main = CATALOG.prometheus.configFile!;
  const files: ConfigFile[] = [{ path: main, content: renderTemplate(`${main}.njk`, values, input.sources.templatesDir) }, ...rules, ...targetFiles(input.clusterServices)];
  return { component: 'prometheus', main, files };
}

function alertmanagerBundle(input: BundleInput): ConfigBundle {
  const v = input.host.vars;
  const values = {
    ...commonValues(input),
    global: objectVar(v, 'alertmanager_global'),
    route: objectVar(v, 'alertmanager_route') ?? { receiver: 'default', group_by: ['alertname', 'cluster'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' },
    receivers: Array.isArray(v.alertmanager_receivers) ? v.alertmanager_receivers : [{ name: 'default' }],
    inhibit_rules: Array.isArray(v.alertmanager_inhibit_rules) ? v.alertmanager_inhibit_rules : [],
  };
  const main = CATALOG.alertmanager.configFile!;
  return { component: 'alertmanager', main, files: [{ path: main, content: renderTemplate(`${main}.njk`, values, input.sources.templatesDir) }] };
}

export function buildBundle(input: BundleInput): ConfigBundle {
  return input.component === 'prometheus' ? prometheusBundle(input) : alertmanagerBundle(input);
}
