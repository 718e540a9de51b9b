// From the state (or -i inventory) to one bundle per targeted host: which hosts run the component, the
// cluster peers and service records the templates and file_sd targets are made of, and where rule files and
// template overrides are read from.
import path from 'node:path';
import { PromanagerError, UsageError } from '../core/errors.js';
import type { TargetOptions } from '../core/targets.js';
import { buildBundle } from '../components/config-bundle.js';
import { CONFIG_COMPONENTS, type ConfigBundle, type ConfigComponent, type ConfigHost, type ConfigService, type ConfigSources } from '../components/config-model.js';
import { isComponentName } from '../components/catalog.js';
import type { Permission } from '../core/rbac.js';
import type { Context } from './context.js';
import { loadFleet, type HostView } from './fleet-view.js';
import { resolveTargets } from './remote-run.js';

export function configComponentArg(name: string): ConfigComponent {
  if (!(CONFIG_COMPONENTS as readonly string[]).includes(name)) throw new UsageError(`promanager manages the config of ${CONFIG_COMPONENTS.join(' and ')}, not '${name}'`);
  return name as ConfigComponent;
}

/**
 * Rule files: --rules-dir, else `rules/` beside the inventory file (-i), else `$PROMANAGER_HOME/rules`.
 * Template overrides: `templates/` beside the inventory file, else `$PROMANAGER_HOME/templates`.
 */
export function configSources(ctx: Context, rulesDirFlag?: string): ConfigSources {
  const base = ctx.globals.inventory ? path.dirname(path.resolve(ctx.globals.inventory)) : ctx.store.home;
  return { rulesDir: rulesDirFlag ? path.resolve(rulesDirFlag) : path.join(base, 'rules'), templatesDir: path.join(base, 'templates') };
}

function configHost(h: HostView): ConfigHost {
  return { name: h.name, ip: h.ip, cluster_name: h.cluster_name, labels: h.labels, vars: h.vars };
}

export interface PlannedHost {
  host: HostView;
  bundle: ConfigBundle;
}

export interface ConfigPlan {
  hosts: PlannedHost[];
}

/** Bundles for the targeted hosts that run `component` according to the service records. */
export async function planConfig(ctx: Context, component: ConfigComponent, permission: Permission, targets: TargetOptions & { limit?: string }, rulesDir?: string): Promise<ConfigPlan> {
  const { state, actor, hosts: targeted } = await resolveTargets(ctx, permission, targets);
  const fleet = await loadFleet(ctx, state, actor, 'read');
  const componentNames = new Map(fleet.state.components.map((c) => [c.id, c.component_name]));
  const hostById = new Map(fleet.hosts.map((h) => [h.id, h]));
  const services: Array<ConfigService & { host_id: number }> = [];
  for (const s of fleet.state.services) {
    const name = componentNames.get(s.component_id);
    const host = hostById.get(s.host_id);
    if (!name || !host || !isComponentName(name)) continue;
    services.push({ component: name, host: configHost(host), listen_address: s.listen_address, host_id: host.id });
  }
  const running = targeted.filter((h) => services.some((s) => s.host_id === h.id && s.component === component));
  if (running.length === 0) {
    throw new PromanagerError(`none of the ${targeted.length} targeted host(s) runs ${component} according to the service records`, { hint: `install it first: promanager service install ${component} [targets]; see promanager service list` });
  }
  const sources = configSources(ctx, rulesDir);
  return {
    hosts: running.map((h) => ({
      host: h,
      bundle: buildBundle({
        component,
        host: configHost(h),
        clusterHosts: fleet.hosts.filter((x) => x.cluster_id === h.cluster_id).map(configHost),
        clusterServices: services.filter((s) => s.host.cluster_name === h.cluster_name),
        sources,
      }),
    })),
  };
}
