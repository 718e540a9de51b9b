// What the controller sends the agent to install and run one component instance on this host.

export interface ServiceSpec {
  component: string;
  version: string;
  main_binary: string;
  /** the uploaded release tarball on this host, checked against artifact_sha256 before use */
  artifact: string;
  artifact_sha256: string;
  /** /opt/promanager/<component>: one directory per version and a `current` symlink */
  base_dir: string;
  config_dir: string;
  data_dir: string | null;
  log_file: string;
  /** node_exporter only: the textfile collector's directory, created at install (null for other components) */
  textfile_dir?: string | null;
  /** where the supervisor keeps its spec, pid files and status */
  run_dir: string;
  /** system user to create and run as (root only); null runs as the connecting user */
  user: string | null;
  /** argv; `{current}` stands for base_dir/current */
  exec: string[];
  listen_address: string;
  health_url: string;
  reload: 'http' | 'sighup' | 'restart';
  reload_url: string | null;
  manager: 'systemd' | 'supervisor';
  unit_name: string;
  unit_text: string;
  default_config: { file: string; content: string } | null;
  stop_timeout_s: number;
  health_timeout_s: number;
  log_max_bytes: number;
  log_keep: number;
}

export interface ServiceStatus {
  component: string;
  state: 'running' | 'stopped' | 'failed' | 'not-installed';
  pid: number | null;
  version: string | null;
  previous_version: string | null;
  uptime_s: number | null;
  health: 'ok' | 'failing' | 'unknown';
  manager: 'systemd' | 'supervisor' | null;
  restarts: number;
  detail: string | null;
}

export interface ActionResult {
  changed: boolean;
  status: ServiceStatus;
  steps: string[];
}
