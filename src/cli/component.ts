import type { Command } from 'commander';
import { action, type CliEnv } from './run.js';
import { printRecord, printTable, say } from './output.js';

export function registerComponent(program: Command, env: CliEnv): void {
  const component = program.command('component').description('the component versions promanager knows');
  component.command('list').description('known component name+version pairs')
    .addHelpText('after', '\nExample:\n  promanager component list')
    .action(action(env, async (ctx) => {
      const { listComponents } = await import('../app/components.js');
      const rows = await listComponents(ctx);
      await printTable(ctx, rows, [
        { header: 'COMPONENT', value: (r) => r.component_name },
        { header: 'VERSION', value: (r) => r.version },
        { header: 'DESCRIPTION', value: (r) => r.description || '-' },
      ], () => rows);
    }));
  component.command('add <name> <version>').description('record a component version (sysadmin)')
    .option('--description <text>', 'notes on this version', '')
    .addHelpText('after', '\nExample:\n  promanager component add prometheus 2.53.1 --description "LTS"')
    .action(action(env, async (ctx, name: string, version: string, opts: { description: string }) => {
      const { addComponent } = await import('../app/components.js');
      const row = await addComponent(ctx, name, version, opts.description);
      if (ctx.globals.json) printRecord(ctx, { ...row });
      else await say(ctx, `component ${row.component_name} ${row.version} added`);
    }));
}
