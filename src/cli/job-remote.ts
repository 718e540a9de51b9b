// The job commands that reach hosts: run (output streamed per host), schedule, unschedule, and history
// (which with --collect first pulls the hosts' scheduled-run records).
import type { Command } from 'commander';
import type { UnscheduleResult } from '../agent/jobs-protocol.js';
import type { Context } from '../app/context.js';
import type { CollectedHost } from '../app/jobs-history.js';
import type { JobPlan } from '../app/jobs-remote.js';
import type { HostJobRun } from '../app/jobs-run.js';
import type { HostSchedule } from '../app/jobs-schedule.js';
import type { CliTargets } from '../app/jobs-targets.js';
import type { Permission } from '../core/rbac.js';
import type { Job, State } from '../store/schema.js';
import { FanoutPrinter, withHint } from './fanout-output.js';
import { cappedNote, formatDuration, formatNextRuns, HISTORY_COLUMNS, HostLineStreamer } from './job-render.js';
import { printJson, printTable } from './output.js';
import { action, intOption, type CliEnv } from './run.js';
import { addTargetOptions, targetOptions } from './targets.js';

/** --dry-run of a job command that reaches hosts: which hosts, nothing contacted, nothing changed. */
async function dryRun(ctx: Context, what: string, name: string, permission: Permission, targetsOf: (state: State, job: Job) => CliTargets): Promise<number> {
  const { planJob } = await import('../app/jobs-remote.js');
  const plan: JobPlan = await planJob(ctx, name, permission, targetsOf);
  const hosts = plan.hosts.map((h) => h.name);
  if (ctx.globals.json) printJson(ctx, { dry_run: true, job_name: plan.job.job_name, version: plan.job.version, hosts });
  else ctx.io.err(`would ${what} job '${plan.job.job_name}' (version ${plan.job.version}) on ${hosts.length} host(s): ${hosts.join(', ')}\n`);
  return 0;
}

function runResultText(r: HostJobRun): string {
  return [`exit ${r.exit_code ?? r.signal} in ${formatDuration(r.duration_ms)}`, cappedNote(r, r.max_output_bytes)].filter(Boolean).join(', ');
}

function registerRun(job: Command, env: CliEnv): void {
  addTargetOptions(job.command('run <name>').description("run a job now on its hosts, output streamed per host (flags narrow the job's own targets)"))
    .addHelpText('after', "\nThe global --timeout <s> overrides the job's timeout for this run.\nExamples:\n  promanager job run backup\n  promanager job run backup --hosts db-1 --timeout 60\n  promanager job run backup --limit @failed")
    .action(action(env, async (ctx, name: string, opts: Record<string, unknown>) => {
      const { narrowedTargets } = await import('../app/jobs-targets.js');
      if (ctx.globals.dryRun) return dryRun(ctx, 'run', name, 'operate', (s, j) => narrowedTargets(s, j, targetOptions(opts)));
      const { runJob } = await import('../app/jobs-run.js');
      const { runFailure } = await import('../app/jobs-spec.js');
      const printer = new FanoutPrinter<HostJobRun>(ctx, {
        json: (r) => (r
          ? { job_name: name, version: r.version, exit_code: r.exit_code, signal: r.signal, timed_out: r.timed_out, started_at: r.started_at, ended_at: r.ended_at, duration_ms: r.duration_ms, output_bytes: r.output_bytes, truncated: r.truncated, output_file: r.output_file, script_uploaded: r.script_uploaded, output: r.output }
          : { job_name: name, exit_code: null }),
        text: (r) => (r ? runResultText(r) : ''),
        changed: () => true,
      }, { statusToStderr: true });
      printer.judgeFailure = (o) => withHint(o) ?? (o.result && runFailure(o.result, o.result.timeout_s) ? `${runFailure(o.result, o.result.timeout_s)}${o.result.truncated ? `; ${cappedNote(o.result, o.result.max_output_bytes)}` : ''}` : null);
      const streamer = new HostLineStreamer(ctx, printer);
      await printer.start(0);
      const { run } = await runJob(ctx, name, targetOptions(opts), {
        onOutput: streamer.onOutput,
        onEvent: (event, host) => {
          if (event.type === 'done') streamer.flush(host);
          printer.onEvent(event, host);
        },
      });
      await printer.finish(run);
      return run.exitCode;
    }));
}

function registerSchedule(job: Command, env: CliEnv): void {
  addTargetOptions(job.command('schedule <name>').description("install the job's cron entry on its hosts (no overlap, timeout, run records, textfile metrics)"))
    .addHelpText('after', "\nThe schedule is the job's --cron (set with job add). Shows the next run times before installing anything.\nExamples:\n  promanager job schedule backup\n  promanager job schedule backup --limit @failed")
    .action(action(env, async (ctx, name: string, opts: Record<string, unknown>) => {
      const { scheduleJob, schedulePlan } = await import('../app/jobs-schedule.js');
      const { findJob, narrowedTargets } = await import('../app/jobs-targets.js');
      if (ctx.globals.dryRun) {
        const plan = schedulePlan(ctx, findJob(await ctx.store.read(), name));
        ctx.io.err(`cron '${plan.cron}': next runs ${formatNextRuns(plan.next_runs)}\n`);
        return dryRun(ctx, 'schedule', name, 'operate', (s, j) => narrowedTargets(s, j, targetOptions(opts)));
      }
      const printer = new FanoutPrinter<HostSchedule>(ctx, {
        json: (r) => (r ? { job_name: name, version: r.version, where: r.where, cron_running: r.cron_running, job_dir: r.job_dir, textfile: r.textfile, script_uploaded: r.script_uploaded } : { job_name: name }),
        text: (r) => (r ? `${r.changed ? 'installed in' : 'already in'} ${r.where} (version ${r.version})${r.cron_running === false ? '; warning: cron is installed but no cron daemon is running' : ''}` : ''),
        changed: (r) => Boolean(r?.changed),
      });
      await printer.start(0);
      const run = await scheduleJob(ctx, name, targetOptions(opts), {
        onPlan: (plan) => {
          if (ctx.globals.json) ctx.io.out(JSON.stringify({ type: 'plan', job_name: name, cron: plan.cron, next_runs: plan.next_runs.map((d) => d.toISOString()) }) + '\n');
          else printer.above(() => ctx.io.err(`cron '${plan.cron}': next runs ${formatNextRuns(plan.next_runs)}\n`));
        },
        onEvent: printer.onEvent,
      });
      await printer.finish(run);
      return run.exitCode;
    }));

  addTargetOptions(job.command('unschedule <name>').description('remove the job\'s cron entry and metrics from the hosts it is scheduled on (run records stay for --collect)'))
    .addHelpText('after', '\nExamples:\n  promanager job unschedule backup\n  promanager job unschedule backup --hosts db-3')
    .action(action(env, async (ctx, name: string, opts: Record<string, unknown>) => {
      const { scheduledTargets } = await import('../app/jobs-targets.js');
      if (ctx.globals.dryRun) return dryRun(ctx, 'unschedule', name, 'operate', (s, j) => scheduledTargets(s, j, targetOptions(opts)));
      const { unscheduleJob } = await import('../app/jobs-schedule.js');
      const printer = new FanoutPrinter<UnscheduleResult>(ctx, {
        json: (r) => ({ job_name: name, where: r?.where ?? null }),
        text: (r) => (r ? (r.changed ? `removed from ${r.where}` : 'was not scheduled') : ''),
        changed: (r) => Boolean(r?.changed),
      });
      await printer.start(0);
      const run = await unscheduleJob(ctx, name, targetOptions(opts), { onEvent: printer.onEvent });
      await printer.finish(run);
      return run.exitCode;
    }));
}

function registerHistory(job: Command, env: CliEnv): void {
  addTargetOptions(job.command('history <name>').description('runs per host, newest first; --collect first pulls scheduled runs from the hosts'))
    .option('--collect', "pull the hosts' scheduled-run records (and their output) into the history first")
    .option('--failed-first', 'failed runs before the others')
    .option('--last <n>', 'runs shown per host (default 10)', intOption('--last', 1, 10_000), 10)
    .addHelpText('after', '\nTargeting flags apply to --collect (default: the hosts the job is scheduled on).\nExamples:\n  promanager job history backup --failed-first\n  promanager job history backup --collect --last 3 --json')
    .action(action(env, async (ctx, name: string, opts: Record<string, unknown> & { collect?: boolean; failedFirst?: boolean; last: number }) => {
      const { collectHistory, jobHistory } = await import('../app/jobs-history.js');
      let exitCode = 0;
      let collected: Array<Record<string, unknown>> | null = null;
      if (opts.collect) {
        // With --json the collection is part of the one document below, not a stream of its own.
        const printer = ctx.globals.json ? null : new FanoutPrinter<CollectedHost>(ctx, {
          json: () => ({}),
          text: (r) => (r ? `${r.new_runs} new run record(s)` : ''),
          changed: (r) => Boolean(r?.new_runs),
        }, { statusToStderr: true });
        await printer?.start(0);
        const run = await collectHistory(ctx, name, targetOptions(opts), { onEvent: (e, h) => printer?.onEvent(e, h) });
        await printer?.finish(run);
        exitCode = run.exitCode;
        collected = run.outcomes.map((o) => ({ host: o.host.name, ok: o.ok, changed: Boolean(o.result?.new_runs), error: o.failure, new_runs: o.result?.new_runs ?? 0 }));
      }
      const rows = await jobHistory(ctx, name, { last: opts.last, failedFirst: Boolean(opts.failedFirst) });
      if (ctx.globals.json && collected) printJson(ctx, { job_name: name, collected, runs: rows, exit_code: exitCode });
      else await printTable(ctx, rows, HISTORY_COLUMNS, () => rows);
      return exitCode;
    }));
}

export function registerJobRemote(job: Command, env: CliEnv): void {
  registerRun(job, env);
  registerSchedule(job, env);
  registerHistory(job, env);
}
