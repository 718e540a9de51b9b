import type { Command } from 'commander';
import { action, type CliEnv } from './run.js';
import { printRecord, printTable, say } from './output.js';

export function registerCluster(program: Command, env: CliEnv): void {
  const cluster = program.command('cluster').description('create, list, show and remove clusters');
  cluster.command('add <name>').description('create a cluster (sysadmin)')
    .option('--description <text>', 'what the cluster is for', '')
    .addHelpText('after', '\nExample:\n  promanager cluster add prod-bj --description "Beijing production"')
    .action(action(env, async (ctx, name: string, opts: { description: string }) => {
      const { addCluster } = await import('../app/clusters.js');
      const row = await addCluster(ctx, name, opts.description);
      if (ctx.globals.json) printRecord(ctx, { ...row });
      else await say(ctx, `cluster ${row.cluster_name} created`);
    }));
  cluster.command('list').description('clusters you may see, with host counts')
    .addHelpText('after', '\nExample:\n  promanager cluster list --json')
    .action(action(env, async (ctx) => {
      const { listClusters } = await import('../app/clusters.js');
      const rows = await listClusters(ctx);
      await printTable(ctx, rows, [
        { header: 'CLUSTER', value: (r) => r.cluster_name },
        { header: 'HOSTS', value: (r) => r.hosts },
        { header: 'DESCRIPTION', value: (r) => r.description || '-' },
      ], () => rows);
    }));
  cluster.command('show <name>').description('one cluster: hosts, labels, members')
    .addHelpText('after', '\nExample:\n  promanager cluster show prod-bj')
    .action(action(env, async (ctx, name: string) => {
      const { showCluster } = await import('../app/clusters.js');
      printRecord(ctx, await showCluster(ctx, name));
    }));
  cluster.command('remove <name>').description('remove a cluster and forget its hosts (sysadmin; asks, or needs -y, when it has hosts)')
    .addHelpText('after', '\nExample:\n  promanager cluster remove staging -y')
    .action(action(env, async (ctx, name: string) => {
      const { removeCluster } = await import('../app/clusters.js');
      const result = await removeCluster(ctx, name);
      if (ctx.globals.json) printRecord(ctx, { ...result, dry_run: ctx.globals.dryRun });
      else await say(ctx, `${ctx.globals.dryRun ? 'would remove' : 'removed'} cluster ${name} (${result.hosts_removed} host(s))`);
    }));
}
