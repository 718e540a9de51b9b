// init, audit and inventory: the commands about promanager's own state.
import type { Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import { action, type CliEnv } from './run.js';
import { printJson, printRecord, printTable, say } from './output.js';

export function registerAdmin(program: Command, env: CliEnv): void {
  program.command('init').description('create the state directory, its database and a sample inventory')
    .addHelpText('after', '\nExample:\n  promanager init && promanager inventory import ~/.promanager/inventory.yml')
    .action(action(env, async (ctx) => {
      const { init } = await import('../app/init.js');
      const r = await init(ctx);
      if (ctx.globals.json) printRecord(ctx, r);
      else await say(ctx, `state in ${r.home} (you are ${r.user_name}); sample inventory ${r.inventory_created ? 'written to' : 'kept at'} ${r.inventory}\n  next: promanager inventory import ${r.inventory}`);
    }));

  program.command('audit').description('the audit log: who changed what, when, where, with what result')
    .option('--since <time>', 'only records since an ISO time or an age (30m, 12h, 7d)')
    .option('--verify', 'check the hash chain and report where it breaks')
    .addHelpText('after', '\nExamples:\n  promanager audit --since 24h\n  promanager audit --verify')
    .action(action(env, async (ctx, opts: { since?: string; verify?: boolean }) => {
      const audit = await import('../app/audit.js');
      if (opts.verify) {
        const r = await audit.verifyAudit(ctx);
        if (ctx.globals.json) printJson(ctx, r);
        else if (r.ok) await say(ctx, `audit log intact: ${r.records} record(s), hash chain unbroken`);
        else for (const b of r.breaks) ctx.io.out(`line ${b.line} (seq ${b.seq}): ${b.reason}\n`);
        return r.ok ? ExitCode.ok : ExitCode.error;
      }
      const rows = await audit.listAudit(ctx, opts);
      await printTable(ctx, rows, [
        { header: 'SEQ', value: (r) => r.seq },
        { header: 'AT', value: (r) => r.at },
        { header: 'WHO', value: (r) => (r.as ? `${r.who} as ${r.as}` : r.who) },
        { header: 'COMMAND', value: (r) => r.command },
        { header: 'TARGETS', value: (r) => [...r.clusters, ...r.hosts] },
        { header: 'RESULT', value: (r) => r.result },
      ], () => rows);
    }));

  const inventory = program.command('inventory').description('read, check, import and export inventory files');
  inventory.command('validate <file>').description("check an inventory file (promanager's YAML, or Ansible YAML/INI)")
    .option('-c, --cluster <name>', 'cluster name for an Ansible inventory', 'default')
    .addHelpText('after', '\nExample:\n  promanager inventory validate inventory/example.yml')
    .action(action(env, async (ctx, file: string, opts: { cluster: string }) => {
      const { validateInventory } = await import('../app/inventory.js');
      const r = await validateInventory(ctx, file, opts.cluster);
      if (ctx.globals.json) printRecord(ctx, { ...r, ok: true });
      else await say(ctx, `${file}: valid ${r.format} inventory, ${r.clusters} cluster(s), ${r.hosts} host(s)`);
    }));
  inventory.command('import <file>').description('copy an inventory file into the state (adds and updates; --prune also forgets hosts the file no longer lists)')
    .option('-c, --cluster <name>', 'cluster name for an Ansible inventory', 'default')
    .option('--prune', "forget hosts of the file's clusters that the file does not list")
    .addHelpText('after', '\nExamples:\n  promanager inventory import inventory/example.yml\n  promanager inventory import hosts.ini --cluster legacy')
    .action(action(env, async (ctx, file: string, opts: { cluster: string; prune?: boolean }) => {
      const { importInventory } = await import('../app/inventory.js');
      const r = await importInventory(ctx, file, { cluster: opts.cluster, prune: Boolean(opts.prune) });
      if (ctx.globals.json) printRecord(ctx, { ...r, dry_run: ctx.globals.dryRun });
      else await say(ctx, `${ctx.globals.dryRun ? '(dry run) ' : ''}${file}: ${r.clusters_added.length} cluster(s) added, ${r.hosts_added.length} host(s) added, ${r.hosts_updated.length} updated, ${r.hosts_removed.length} removed`);
    }));
  inventory.command('export').description('write the state as a promanager YAML inventory')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nExample:\n  promanager inventory export > fleet.yml')
    .action(action(env, async (ctx, opts: { output?: string }) => {
      const { exportInventory } = await import('../app/inventory.js');
      const r = await exportInventory(ctx, opts.output);
      if (r.file) await say(ctx, `inventory written to ${r.file}`);
      else if (ctx.globals.json) printJson(ctx, { yaml: r.yaml });
      else ctx.io.out(r.yaml);
    }));
}
