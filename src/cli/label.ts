import type { Command } from 'commander';
import { action, type CliEnv } from './run.js';
import { printTable } from './output.js';

export function registerLabel(program: Command, env: CliEnv): void {
  const label = program.command('label').description('labels in use');
  label.command('list').description('labels in use per cluster, with host counts')
    .option('-c, --cluster <name>', 'only this cluster')
    .addHelpText('after', '\nExample:\n  promanager label list -c prod-bj')
    .action(action(env, async (ctx, opts: { cluster?: string }) => {
      const { listLabels } = await import('../app/labels.js');
      const rows = await listLabels(ctx, opts.cluster);
      await printTable(ctx, rows, [
        { header: 'CLUSTER', value: (r) => r.cluster_name },
        { header: 'LABEL', value: (r) => r.label_name },
        { header: 'HOSTS', value: (r) => r.hosts },
        { header: 'VALUES', value: (r) => Object.entries(r.values).map(([v, n]) => `${v === '' ? '(bare)' : v}:${n}`).join(',') },
      ], () => rows);
    }));
}
