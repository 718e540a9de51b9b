// Where promanager puts things on a host, in one place: the controller plans services with it, and the agent
// uses it to find what an earlier run left (an uninstall after its spec is gone, `host clean`). As root the
// paths are the FHS ones; as any other user they sit under the user's home. Node built-ins only (agent bundle).
import os from 'node:os';
import path from 'node:path';

export interface Who {
  root: boolean;
  home: string;
}

/** The prefix every service path gets for a non-root user (so the FHS layout is kept below it). */
export function servicePrefix(who: Who): string {
  return who.root ? '/' : path.join(who.home, '.local/share/promanager');
}

function under(who: Who, abs: string): string {
  return path.join(servicePrefix(who), abs);
}

export interface ServiceLayout {
  base_dir: string;
  config_dir: string;
  data_dir: string;
  log_file: string;
  run_dir: string;
  artifacts_dir: string;
}

export function serviceLayout(component: string, who: Who): ServiceLayout {
  if (!/^[a-z_]+$/.test(component)) throw new Error(`component '${component}' is not a promanager component name`);
  return {
    base_dir: under(who, `/opt/promanager/${component}`),
    config_dir: under(who, `/etc/promanager/${component}`),
    data_dir: under(who, `/var/lib/promanager/data/${component}`),
    log_file: under(who, `/var/log/promanager/${component}.log`),
    run_dir: under(who, `/var/lib/promanager/services/${component}`),
    artifacts_dir: under(who, '/var/lib/promanager/artifacts'),
  };
}

/** The agent's own directory (agent, runtime, scripts, jobs, fim): the bootstrap's `base`. */
export function agentBaseOf(who: Who): string {
  return who.root ? '/var/lib/promanager' : path.join(who.home, '.cache', 'promanager');
}

/** node_exporter's textfile directory when the inventory names none (`node_exporter_textfile_dir`). */
export function defaultTextfileDir(who: Who): string {
  return path.join(agentBaseOf(who), 'textfile');
}

/** Marker of a system user promanager created (so --purge removes only users that were ours). */
export function createdUserMarker(who: Who, user: string): string {
  return path.join(agentBaseOf(who), 'users', user);
}

/** The top-level directories promanager may create; `host clean` removes them once they are empty. */
export function promanagerRoots(who: Who): string[] {
  return who.root
    ? ['/opt/promanager', '/etc/promanager', '/var/lib/promanager', '/var/log/promanager']
    : [servicePrefix(who), agentBaseOf(who)];
}

export function currentWho(): Who {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return { root, home: process.env.HOME || os.homedir() };
}
