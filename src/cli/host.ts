import type { Command } from 'commander';
import { action, collect, intOption, type CliEnv } from './run.js';
import { printRecord, printTable, say } from './output.js';
import { addTargetOptions, targetOptions } from './targets.js';
import type { HostView } from '../app/fleet-view.js';
import type { CleanHostResult } from '../app/host-clean.js';
import type { Facts } from '../agent/protocol.js';

/** The JSON form of a host: the data model's fields plus labels. */
export function hostJson(h: HostView): Record<string, unknown> {
  return {
    id: h.id, name: h.name, ip: h.ip, cluster_id: h.cluster_id, cluster_name: h.cluster_name, hostname: h.hostname,
    cpu: h.cpu, mem: h.mem, root: h.root, os: h.os, status: h.status, labels: h.labels, ssh: h.ssh,
    create_at: h.create_at, update_at: h.update_at,
  };
}

export function registerHost(program: Command, env: CliEnv): void {
  const host = program.command('host').description('add, list, show, label, refresh and remove hosts');
  host.command('add <ip>').description('add a host to a cluster')
    .requiredOption('-c, --cluster <name>', 'the cluster it belongs to')
    .option('--name <name>', 'the name to target it by (default: the IP)')
    .option('--port <port>', 'SSH port', intOption('--port', 1, 65535))
    .option('--user <user>', 'SSH user')
    .option('--key <file>', 'SSH private key file')
    // --become is also a global option, so it is lifted out before commander sees it; read from globals.
    .option('--become', 'run remote work on it through sudo')
    .option('--label <k=v>', 'a label (repeatable); a bare key makes a bare label', collect, [])
    .addHelpText('after', '\nExample:\n  promanager host add 10.0.0.11 --cluster prod-bj --name prom-1 --label role=prometheus --label zone=a')
    .action(action(env, async (ctx, ip: string, opts: { cluster: string; name?: string; port?: number; user?: string; key?: string; become?: boolean; label: string[] }) => {
      const { addHost } = await import('../app/hosts.js');
      const h = await addHost(ctx, { ip, cluster: opts.cluster, name: opts.name, port: opts.port, user: opts.user, key: opts.key, become: opts.become || ctx.globals.become, labels: opts.label });
      if (ctx.globals.json) printRecord(ctx, hostJson(h));
      else await say(ctx, `host ${h.name} (${h.ip}) added to cluster ${h.cluster_name}`);
    }));
  addTargetOptions(host.command('list').description('hosts you may see, narrowed by the targeting flags'))
    .addHelpText('after', "\nExamples:\n  promanager host list\n  promanager host list -l 'env=prod,zone in (a,b)' --json\n  promanager host list --hosts 'prom-*'")
    .action(action(env, async (ctx, opts: Record<string, unknown>) => {
      const { listHosts } = await import('../app/hosts.js');
      const rows = await listHosts(ctx, targetOptions(opts));
      await printTable(ctx, rows, [
        { header: 'NAME', value: (h) => h.name },
        { header: 'IP', value: (h) => h.ip },
        { header: 'CLUSTER', value: (h) => h.cluster_name },
        { header: 'STATUS', value: (h) => h.status },
        { header: 'LABELS', value: (h) => h.labels },
      ], () => rows.map(hostJson));
    }));
  addTargetOptions(host.command('refresh').description('gather facts over SSH: hostname, cpu, mem, root, os, status'))
    .addHelpText('after', '\nExamples:\n  promanager host refresh\n  promanager host refresh -c prod-bj --json\n  promanager host refresh --limit @failed')
    .action(action(env, async (ctx, opts: Record<string, unknown>) => {
      const { refreshHosts } = await import('../app/refresh.js');
      const { FanoutPrinter } = await import('./fanout-output.js');
      const printer = new FanoutPrinter<Facts>(ctx, {
        json: (f) => ({ hostname: f?.hostname ?? null, cpu: f?.cpu ?? null, mem: f?.mem ?? null, root: f?.root ?? null, os: f?.os ?? null, status: f ? 'up' : 'unreachable' }),
        text: (f) => (f ? `${f.hostname}\t${f.cpu} cpu\tmem ${f.mem}\troot ${f.root}\t${f.os}` : ''),
        changed: () => true,
      });
      await printer.start(0);
      const run = await refreshHosts(ctx, targetOptions(opts), printer.onEvent);
      await printer.finish(run);
      return run.exitCode;
    }));
  addTargetOptions(host.command('clean').description("remove what promanager left on hosts: agent, runtime, uploads, metrics, empty directories (data only with --purge)"))
    .option('--purge', 'also uninstall every service with its data, config, logs and system user, and remove scheduled jobs and FIM checks with their records')
    .addHelpText('after', '\nRefuses, naming them, while services are installed or jobs/FIM checks are scheduled, unless --purge.\nExamples:\n  promanager host clean --hosts node-7 -y\n  promanager host clean -c staging --purge -y')
    .action(action(env, async (ctx, opts: Record<string, unknown>) => {
      const { cleanHosts } = await import('../app/host-clean.js');
      const { confirmOrThrow } = await import('../app/read.js');
      const { FanoutPrinter } = await import('./fanout-output.js');
      const purge = Boolean(opts.purge);
      if (!ctx.globals.dryRun) await confirmOrThrow(ctx, `remove promanager${purge ? ', every service and ALL its data' : ''} from the targeted hosts`);
      const printer = new FanoutPrinter<CleanHostResult>(ctx, {
        json: (r) => ({ steps: r?.steps ?? [], kept: r?.kept ?? [], plan: r?.plan ?? null }),
        text: (r) => (r?.plan ? `plan: ${r.plan.join('; ')}` : r ? `${r.steps.length} removed${r.kept.length ? `; kept (data): ${r.kept.join(', ')}` : ''}` : ''),
        changed: (r) => Boolean(r?.changed),
      });
      await printer.start(0);
      const run = await cleanHosts(ctx, targetOptions(opts), purge, printer.onEvent);
      await printer.finish(run);
      return run.exitCode;
    }));
  host.command('show <host>').description('one host: facts, labels, services')
    .addHelpText('after', '\nExample:\n  promanager host show prom-1')
    .action(action(env, async (ctx, name: string) => {
      const { showHost } = await import('../app/hosts.js');
      const h = await showHost(ctx, name);
      printRecord(ctx, { ...hostJson(h), vars: h.vars, services: h.services });
    }));
  host.command('remove <host>').description('forget a host (nothing on the host is touched)')
    .addHelpText('after', '\nExample:\n  promanager host remove node-7 -y')
    .action(action(env, async (ctx, name: string) => {
      const { removeHost } = await import('../app/hosts.js');
      const r = await removeHost(ctx, name);
      if (ctx.globals.json) printRecord(ctx, { ...r, removed: !ctx.globals.dryRun });
      else await say(ctx, `${ctx.globals.dryRun ? 'would remove' : 'removed'} host ${r.host} (${r.ip})`);
    }));
  host.command('label <host> <labels...>').description('add or change labels (k=v, or k for a bare label); k- removes label k')
    .addHelpText('after', '\nExample:\n  promanager host label node-7 zone=b gpu tier-')
    .action(action(env, async (ctx, name: string, labels: string[]) => {
      const { labelHost } = await import('../app/hosts.js');
      const r = await labelHost(ctx, name, labels);
      if (ctx.globals.json) printRecord(ctx, { host: r.host, labels: r.labels, changed: r.changed });
      else await say(ctx, `${r.host}: ${r.changed ? 'labels now' : 'unchanged,'} ${Object.entries(r.labels).map(([k, v]) => (v ? `${k}=${v}` : k)).join(',') || '(none)'}`);
    }));
}
