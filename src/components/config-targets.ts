// file_sd target files: one per scraped component, listing that component's services in the cluster. Each
// target carries its host's labels plus `cluster` and `host`, so dashboards and alerts can select by the same
// labels the inventory uses. Prometheus re-reads these files by itself when they change.
import type { ComponentName } from './catalog.js';
import type { ConfigFile, ConfigService } from './config-model.js';

/** Every component Prometheus scrapes gets a job, even with no targets yet: adding an exporter later then
 *  changes only a target file, never prometheus.yml. */
export const SCRAPED_COMPONENTS: readonly ComponentName[] = ['prometheus', 'alertmanager', 'node_exporter', 'pushgateway', 'blackbox_exporter'];

export function targetFilePath(component: ComponentName): string {
  return `targets/${component}.json`;
}

interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** host:port Prometheus can reach: a wildcard listen address means "the host's inventory address". */
export function scrapeAddress(listenAddress: string, hostIp: string): string {
  const m = /^(.*):(\d+)$/.exec(listenAddress);
  if (!m) return listenAddress;
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const reach = host === '' || host === '0.0.0.0' || host === '::' ? hostIp : host;
  return `${reach.includes(':') ? `[${reach}]` : reach}:${m[2]}`;
}

/**
 * Inventory labels follow Kubernetes rules (`example.com/tier`, `zone-a`); Prometheus label names allow only
 * [a-zA-Z0-9_], so other characters become `_`. A bare label (empty value) becomes "true": Prometheus treats an
 * empty value as an absent label, and the point of a bare label is that it is present.
 */
export function prometheusLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    let name = key.replace(/[^a-zA-Z0-9_]/g, '_');
    if (/^[0-9]/.test(name)) name = `_${name}`;
    if (name.startsWith('__')) name = name.replace(/^_+/, 'label_'); // `__` names are reserved for Prometheus
    out[name] = value === '' ? 'true' : value;
  }
  return out;
}

export function targetGroups(services: ConfigService[], component: ComponentName): TargetGroup[] {
  return services
    .filter((s) => s.component === component)
    .sort((a, b) => a.host.name.localeCompare(b.host.name))
    .map((s) => ({
      targets: [scrapeAddress(s.listen_address, s.host.ip)],
      labels: { ...prometheusLabels(s.host.labels), cluster: s.host.cluster_name, host: s.host.name },
    }));
}

export function targetFiles(services: ConfigService[]): ConfigFile[] {
  return SCRAPED_COMPONENTS.map((component) => ({
    path: targetFilePath(component),
    content: `${JSON.stringify(targetGroups(services, component), null, 2)}\n`,
  }));
}
