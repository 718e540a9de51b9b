import type { Command } from 'commander';
import { action, type CliEnv } from './run.js';
import { printRecord, printTable, say } from './output.js';

export function registerUser(program: Command, env: CliEnv): void {
  const user = program.command('user').description('promanager users (named like their operating-system accounts)');
  user.command('add <name>').description('add a user (sysadmin)')
    .option('--phone <phone>', 'phone number (unique)')
    .option('--description <text>', 'who this is')
    .addHelpText('after', '\nExample:\n  promanager user add alice --phone +86-10-5555-0101 --description "SRE, Beijing"')
    .action(action(env, async (ctx, name: string, opts: { phone?: string; description?: string }) => {
      const { addUser } = await import('../app/users.js');
      const u = await addUser(ctx, name, opts);
      if (ctx.globals.json) printRecord(ctx, { ...u });
      else await say(ctx, `user ${u.user_name} added; give them a role: promanager role grant ${u.user_name} user --cluster <cluster>`);
    }));
  user.command('list').description('users and their roles')
    .addHelpText('after', '\nExample:\n  promanager user list')
    .action(action(env, async (ctx) => {
      const { listUsers } = await import('../app/users.js');
      const rows = await listUsers(ctx);
      await printTable(ctx, rows, [
        { header: 'USER', value: (r) => r.user_name },
        { header: 'PHONE', value: (r) => r.phone },
        { header: 'ROLES', value: (r) => r.roles },
        { header: 'DESCRIPTION', value: (r) => r.description || '-' },
      ], () => rows);
    }));
  user.command('remove <name>').description('remove a user and their role bindings (sysadmin; asks, or needs -y)')
    .addHelpText('after', '\nExample:\n  promanager user remove bob -y')
    .action(action(env, async (ctx, name: string) => {
      const { removeUser } = await import('../app/users.js');
      const r = await removeUser(ctx, name);
      if (ctx.globals.json) printRecord(ctx, r);
      else await say(ctx, `user ${name} removed`);
    }));

  const role = program.command('role').description('grant and revoke roles: sysadmin, bizadmin, user');
  role.command('grant <user> <role>').description('give a user a role, in one cluster or (without --cluster) in all')
    .option('-c, --cluster <name>', 'the cluster the role applies to')
    .addHelpText('after', '\nExamples:\n  promanager role grant alice bizadmin --cluster prod-bj\n  promanager role grant carol sysadmin')
    .action(action(env, async (ctx, userName: string, roleName: string, opts: { cluster?: string }) => {
      const { grantRole } = await import('../app/users.js');
      const b = await grantRole(ctx, userName, roleName, opts.cluster);
      if (ctx.globals.json) printRecord(ctx, { ...b });
      else await say(ctx, `${b.user_name} is now ${b.role_name} in ${b.cluster_name === '*' ? 'every cluster' : `cluster ${b.cluster_name}`}`);
    }));
  role.command('revoke <user> <role>').description('take a role back')
    .option('-c, --cluster <name>', 'the cluster the role was granted in')
    .addHelpText('after', '\nExample:\n  promanager role revoke alice bizadmin --cluster prod-bj')
    .action(action(env, async (ctx, userName: string, roleName: string, opts: { cluster?: string }) => {
      const { revokeRole } = await import('../app/users.js');
      const r = await revokeRole(ctx, userName, roleName, opts.cluster);
      if (ctx.globals.json) printRecord(ctx, r);
      else await say(ctx, `revoked ${roleName} from ${userName}`);
    }));
  role.command('list').description('role bindings you may see')
    .addHelpText('after', '\nExample:\n  promanager role list --json')
    .action(action(env, async (ctx) => {
      const { listRoles } = await import('../app/users.js');
      const rows = await listRoles(ctx);
      await printTable(ctx, rows, [
        { header: 'USER', value: (r) => r.user_name },
        { header: 'ROLE', value: (r) => r.role_name },
        { header: 'CLUSTER', value: (r) => r.cluster_name },
      ], () => rows);
    }));

  program.command('whoami').description('who promanager thinks you are, and your roles')
    .addHelpText('after', '\nExample:\n  promanager whoami')
    .action(action(env, async (ctx) => {
      const { whoami } = await import('../app/users.js');
      printRecord(ctx, await whoami(ctx));
    }));
}
