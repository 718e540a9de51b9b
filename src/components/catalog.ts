// The components promanager installs: how their releases are named, which binaries they ship, how they are
// started, checked and reloaded. One entry each; everything else reads from here.

export type ComponentName = 'prometheus' | 'alertmanager' | 'node_exporter' | 'pushgateway' | 'blackbox_exporter';

export interface ComponentSpec {
  name: ComponentName;
  description: string;
  /** GitHub repository under github.com/prometheus */
  repo: string;
  binaries: string[];
  mainBinary: string;
  defaultPort: number;
  /** path answered once the component is ready to serve */
  healthPath: string;
  /** the main config file, if the component reads one */
  configFile: string | null;
  /** command (relative to the install dir) that validates the config file given as the last argument */
  validator: string[] | null;
  /** how a config reload is asked for */
  reload: 'http' | 'sighup' | 'restart';
  needsDataDir: boolean;
}

export const CATALOG: Record<ComponentName, ComponentSpec> = {
  prometheus: {
    name: 'prometheus', description: 'Prometheus server', repo: 'prometheus',
    binaries: ['prometheus', 'promtool'], mainBinary: 'prometheus', defaultPort: 9090, healthPath: '/-/ready',
    configFile: 'prometheus.yml', validator: ['promtool', 'check', 'config'], reload: 'http', needsDataDir: true,
  },
  alertmanager: {
    name: 'alertmanager', description: 'Prometheus Alertmanager', repo: 'alertmanager',
    binaries: ['alertmanager', 'amtool'], mainBinary: 'alertmanager', defaultPort: 9093, healthPath: '/-/ready',
    configFile: 'alertmanager.yml', validator: ['amtool', 'check-config'], reload: 'http', needsDataDir: true,
  },
  node_exporter: {
    name: 'node_exporter', description: 'Prometheus node exporter', repo: 'node_exporter',
    binaries: ['node_exporter'], mainBinary: 'node_exporter', defaultPort: 9100, healthPath: '/metrics',
    configFile: null, validator: null, reload: 'restart', needsDataDir: false,
  },
  pushgateway: {
    name: 'pushgateway', description: 'Prometheus Pushgateway', repo: 'pushgateway',
    binaries: ['pushgateway'], mainBinary: 'pushgateway', defaultPort: 9091, healthPath: '/metrics',
    configFile: null, validator: null, reload: 'restart', needsDataDir: true,
  },
  blackbox_exporter: {
    name: 'blackbox_exporter', description: 'Prometheus blackbox exporter', repo: 'blackbox_exporter',
    binaries: ['blackbox_exporter'], mainBinary: 'blackbox_exporter', defaultPort: 9115, healthPath: '/metrics',
    configFile: 'blackbox.yml', validator: ['blackbox_exporter', '--config.check', '--config.file'], reload: 'sighup', needsDataDir: false,
  },
};

export function isComponentName(name: string): name is ComponentName {
  return Object.prototype.hasOwnProperty.call(CATALOG, name);
}

/** x86_64 -> amd64 and friends: `uname -m` to the release artifacts' naming. */
export function releaseArch(unameMachine: string): string {
  const map: Record<string, string> = { x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64', armv7l: 'armv7', armv6l: 'armv6', i686: '386', i386: '386', ppc64le: 'ppc64le', s390x: 's390x' };
  return map[unameMachine] ?? unameMachine;
}

export function artifactName(component: ComponentName, version: string, arch: string): string {
  return `${component}-${version}.linux-${arch}`;
}

export const OFFICIAL_MIRROR = 'https://github.com/prometheus';

/** `<mirror>/<repo>/releases/download/v<version>/<file>`: the official layout, which mirrors copy. */
export function artifactUrl(mirror: string, component: ComponentName, version: string, file: string): string {
  return `${mirror.replace(/\/+$/, '')}/${CATALOG[component].repo}/releases/download/v${version}/${file}`;
}

/** Debian package names for offline imports. */
export const DEBIAN_PACKAGES: Record<string, ComponentName> = {
  prometheus: 'prometheus',
  'prometheus-alertmanager': 'alertmanager',
  'prometheus-node-exporter': 'node_exporter',
  'prometheus-pushgateway': 'pushgateway',
  'prometheus-blackbox-exporter': 'blackbox_exporter',
};
