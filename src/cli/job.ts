// job: scripts defined on the controller, run on demand and scheduled by cron on hosts, with history.
// This file: defining jobs (add, list, show, remove); job-remote.ts: the commands that reach hosts.
import type { Command } from 'commander';
import { action, collect, intOption, type CliEnv } from './run.js';
import { printJson, printRecord, printTable, say, warn } from './output.js';
import { formatNextRuns } from './job-render.js';
import { registerJobRemote } from './job-remote.js';

interface AddOptions {
  script: string;
  cron?: string | false;
  arg?: string[];
  env?: string[];
  runAs?: string;
  cluster?: string;
  selector?: string;
  maxOutput?: string;
  keepRuns?: number;
}

function registerDefinition(job: Command, env: CliEnv): void {
  addTargetScope(job.command('add <name>').description('define a job, or update it: a new script content is a new version (bizadmin of its cluster)'))
    .requiredOption('--script <file>', 'the script; its shebang picks the interpreter (sh when it has none)')
    .option('--cron <expr>', "cron schedule for `job schedule`, e.g. '*/15 * * * *' or @daily")
    .option('--no-cron', 'drop the cron schedule')
    .option('--arg <value>', 'an argument for the script (repeat for more)', collect)
    .option('--env <NAME=value>', 'an environment variable for the script (repeat for more)', collect)
    .option('--run-as <user>', 'run as this user on hosts (needs root there)')
    .option('--max-output <size>', 'output kept per host per run, e.g. 512k, 4m (default 1m)')
    .option('--keep-runs <n>', 'scheduled-run records kept on each host (default 20)', intOption('--keep-runs', 1, 1000))
    .addHelpText('after', "\nThe global --timeout <s> is the job's timeout (default 3600). Options not given keep their values on an update.\nExamples:\n  promanager job add backup --script ./backup.sh -c prod-bj -l role=db --cron '30 2 * * *' --timeout 1800\n  promanager job add backup --script ./backup-v2.sh          # new version, same schedule and targets")
    .action(action(env, async (ctx, name: string, opts: AddOptions) => {
      const { addJob } = await import('../app/jobs-define.js');
      const { parseEnvPairs, parseSize } = await import('../app/jobs-spec.js');
      const r = await addJob(ctx, {
        name, scriptFile: opts.script, cron: opts.cron === false ? null : opts.cron, timeoutS: ctx.globals.timeout,
        args: opts.arg, env: opts.env ? parseEnvPairs(opts.env) : undefined, runAs: opts.runAs, cluster: opts.cluster,
        selector: opts.selector, maxOutputBytes: opts.maxOutput ? parseSize(opts.maxOutput, '--max-output') : undefined, keepRuns: opts.keepRuns,
      });
      const { nextRuns } = await import('../core/cron.js');
      const next = r.schedule ? nextRuns(r.schedule, ctx.now(), 3) : [];
      if (ctx.globals.json) {
        printJson(ctx, { job_name: r.job.job_name, version: r.job.version, created: r.created, new_version: r.new_version, changed: r.changed, script_sha256: r.job.script_sha256, interpreter: r.job.interpreter, cron: r.job.cron, next_runs: next.map((d) => d.toISOString()), outdated_hosts: r.outdated_hosts, dry_run: ctx.globals.dryRun });
        return;
      }
      const what = r.created ? `added (version ${r.job.version}, ${r.job.interpreter})`
        : r.new_version ? `updated to version ${r.job.version} (${r.job.interpreter})`
          : `${r.changed ? 'updated' : 'unchanged'} (version ${r.job.version})`;
      await say(ctx, `job '${name}' ${what}${ctx.globals.dryRun ? ' (dry run: nothing written)' : ''}`);
      if (r.job.cron) ctx.io.err(`cron '${r.job.cron}': next runs ${formatNextRuns(next)}\n`);
      if (r.outdated_hosts > 0) await warn(ctx, `${r.outdated_hosts} host(s) run an earlier version or schedule: promanager job schedule ${name} updates them`);
    }));

  job.command('list').description('jobs you may see, with their schedule and how the last runs went')
    .action(action(env, async (ctx) => {
      const { listJobs } = await import('../app/jobs-view.js');
      const rows = await listJobs(ctx);
      await printTable(ctx, rows, [
        { header: 'JOB', value: (r) => r.job_name },
        { header: 'VERSION', value: (r) => r.version },
        { header: 'CRON', value: (r) => r.cron },
        { header: 'CLUSTER', value: (r) => r.cluster_name ?? '(all)' },
        { header: 'SELECTOR', value: (r) => r.selector },
        { header: 'TIMEOUT', value: (r) => `${r.timeout_s} s` },
        { header: 'SCHEDULED', value: (r) => r.scheduled_hosts },
        { header: 'LAST RUN', value: (r) => r.last_run_at },
        { header: 'FAILING', value: (r) => r.failing_hosts },
      ], () => rows);
    }));

  job.command('show <name>').description('one job: script, versions, schedule and next runs, where it is scheduled')
    .option('--script', 'print the script itself')
    .action(action(env, async (ctx, name: string, opts: { script?: boolean }) => {
      const { showJob } = await import('../app/jobs-view.js');
      const record = await showJob(ctx, name, { script: Boolean(opts.script) });
      if (opts.script && !ctx.globals.json) ctx.io.out(String(record.script));
      else printRecord(ctx, record);
    }));

  job.command('remove <name>').description('forget a job and its run history (asks, or needs -y; refuses while it is scheduled)')
    .option('--force', 'remove even while hosts still have it scheduled (their cron entries stay)')
    .action(action(env, async (ctx, name: string, opts: { force?: boolean }) => {
      const { removeJob } = await import('../app/jobs-define.js');
      const r = await removeJob(ctx, name, { force: Boolean(opts.force) });
      if (ctx.globals.json) printJson(ctx, { job_name: name, runs_removed: r.runs, forgotten_hosts: r.forgotten_hosts, dry_run: ctx.globals.dryRun });
      else await say(ctx, `${ctx.globals.dryRun ? 'would remove' : 'removed'} job '${name}' and ${r.runs} run record(s)`);
    }));
}

function addTargetScope(cmd: Command): Command {
  return cmd
    .option('-c, --cluster <name>', "the job's cluster (default: every cluster)")
    .option('-l, --selector <expr>', "the job's hosts within it, e.g. 'role=db'");
}

export function registerJob(program: Command, env: CliEnv): void {
  const job = program.command('job').description('scripts defined here, run on demand and scheduled by cron on hosts, with history');
  registerDefinition(job, env);
  registerJobRemote(job, env);
}
