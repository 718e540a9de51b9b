// The data a configuration push is made of, shared by rendering, diffing and pushing. Paths inside a bundle
// are relative to the component's config directory on the host (/etc/promanager/<component>/), so the same
// bundle validates in a staging directory and then lands beside the live config unchanged.
import type { ComponentName } from './catalog.js';

export type ConfigComponent = 'prometheus' | 'alertmanager';

export const CONFIG_COMPONENTS: readonly ConfigComponent[] = ['prometheus', 'alertmanager'];

export interface ConfigFile {
  /** relative, forward slashes, e.g. `prometheus.yml`, `rules/node.yml`, `targets/node_exporter.json` */
  path: string;
  content: string;
}

export interface ConfigBundle {
  component: ConfigComponent;
  /** the main config file (first in `files`) */
  main: string;
  files: ConfigFile[];
}

/** One host of a cluster as the templates see it. */
export interface ConfigHost {
  name: string;
  ip: string;
  cluster_name: string;
  labels: Record<string, string>;
  vars: Record<string, unknown>;
}

/** A service record (state.services) joined with its host: what file_sd targets are made of. */
export interface ConfigService {
  component: ComponentName;
  host: ConfigHost;
  listen_address: string;
}

/** Where rule files and template overrides are read from on the controller. */
export interface ConfigSources {
  rulesDir: string;
  templatesDir: string | null;
}
