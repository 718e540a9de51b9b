// fim: file integrity monitoring. Policies, baselines, checks (exit 5 on drift), acceptance, events, schedules.
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { Context } from '../app/context.js';
import type { HostView } from '../app/fleet-view.js';
import type { BaselineHostResult } from '../app/fim-baseline.js';
import type { Change, CheckHostResult } from '../app/fim-check.js';
import type { CollectHostResult } from '../app/fim-collect.js';
import type { ScheduleHostResult } from '../app/fim-schedule.js';
import type { FanoutEvent } from '../remote/fanout.js';
import { humanBytes } from './human.js';
import { action, collect, intOption, type CliEnv } from './run.js';
import { FanoutPrinter, withHint, type HostLine } from './fanout-output.js';
import { printTable, say, warn } from './output.js';
import { addTargetOptions, targetOptions } from './targets.js';

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!m || Number(m[1]) <= 0) throw new UsageError(`--max-bytes '${value}' is not a size`, 'e.g. 500M, 20G, 1T or a number of bytes');
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}

/** One line per change: `kind path attributes [reason]`, tab-separated with host and policy when piped. */
function changeLines(ctx: Context, host: HostView, policy: string, changes: Change[]): string {
  return changes.map((c) => {
    const detail = c.kind === 'modified' ? c.attributes.join(',') : '';
    if (!ctx.io.stdoutIsTTY) return [host.name, policy, c.kind, c.path, detail, c.reason ?? ''].join('\t') + '\n';
    return `    ${c.kind.padEnd(8)} ${c.path}${detail ? `  (${detail})` : ''}${c.reason ? `  [${c.reason}]` : ''}\n`;
  }).join('');
}

/** A fan-out printer whose streamed lines show the same verdict as the final result (`judge`). */
function fanoutCommand<R>(ctx: Context, line: HostLine<R> & { judge?(r: R): string | null }, after?: (event: FanoutEvent<R>, host: HostView, printer: FanoutPrinter<R>) => void) {
  const printer = new FanoutPrinter<R>(ctx, line, { statusToStderr: true });
  printer.judgeFailure = (o) => withHint(o) ?? (o.result && line.judge ? line.judge(o.result) : null);
  const onEvent = (event: FanoutEvent<R>, host: HostView) => {
    printer.onEvent(event, host);
    after?.(event, host, printer);
  };
  return { printer, onEvent };
}

function registerPolicy(fim: Command, env: CliEnv): void {
  const policy = fim.command('policy').description('FIM policies: which paths of which hosts are watched');
  policy.command('add <name>').description('add a policy for a cluster (-c) and/or label selector (-l); no -c: every cluster (sysadmin)')
    .requiredOption('--path <path>', 'a file or directory to watch (repeatable)', collect, [])
    .option('--exclude <glob>', "skip matching paths (repeatable): '*.log' matches names, '/var/cache/**' whole paths", collect, [])
    .option('--max-depth <n>', 'directory levels below each path (0: the paths only)', intOption('--max-depth', 0))
    .option('--attributes <list>', 'attributes compared (default all): sha256,size,mode,uid,gid,mtime,ctime,inode,type,target', collect)
    .option('--follow-symlinks', 'describe what symlinks point to instead of the links (default: lstat)')
    .option('--max-files <n>', 'per-host limit on paths scanned (default 1000000)', intOption('--max-files'))
    .option('--max-bytes <size>', 'per-host limit on bytes of files (default 64G)', parseSize)
    .option('-c, --cluster <name>', 'the cluster the policy belongs to')
    .option('-l, --selector <expr>', 'only hosts whose labels match')
    .addHelpText('after', "\nExamples:\n  promanager fim policy add etc -c prod-bj --path /etc --exclude '*.swp' --exclude /etc/mtab\n  promanager fim policy add bins -c prod-bj -l role=prometheus --path /usr/local/bin --max-depth 1")
    .action(action(env, async (ctx, name: string, o: { path: string[]; exclude: string[]; maxDepth?: number; attributes?: string[]; followSymlinks?: boolean; maxFiles?: number; maxBytes?: number; cluster?: string; selector?: string }) => {
      const { addPolicy } = await import('../app/fim-policy.js');
      const p = await addPolicy(ctx, { name, paths: o.path, excludes: o.exclude, maxDepth: o.maxDepth ?? null, attributes: o.attributes ?? null, followSymlinks: Boolean(o.followSymlinks), maxFiles: o.maxFiles ?? null, maxBytes: o.maxBytes ?? null, cluster: o.cluster ?? null, selector: o.selector ?? null });
      if (ctx.globals.json) ctx.io.out(JSON.stringify(p, null, 2) + '\n');
      else await say(ctx, `${ctx.globals.dryRun ? 'would add' : 'added'} FIM policy ${p.policy_name}: ${p.paths.join(' ')}; next: promanager fim baseline ${p.policy_name}`);
    }));
  policy.command('list').description('policies in the clusters you may see')
    .action(action(env, async (ctx) => {
      const { listPolicies } = await import('../app/fim-policy.js');
      const rows = await listPolicies(ctx);
      await printTable(ctx, rows, [
        { header: 'NAME', value: (p) => p.policy_name },
        { header: 'CLUSTER', value: (p) => p.cluster_name ?? '(all)' },
        { header: 'SELECTOR', value: (p) => p.selector },
        { header: 'PATHS', value: (p) => p.paths },
        { header: 'EXCLUDES', value: (p) => p.excludes },
        { header: 'DEPTH', value: (p) => p.max_depth },
        { header: 'BASELINES', value: (p) => p.baselines },
        { header: 'SCHEDULED', value: (p) => p.scheduled },
      ], () => rows);
    }));
  policy.command('remove <name>').description('remove a policy, its baselines and drift (its event journals are archived)')
    .addHelpText('after', '\nExample:\n  promanager fim unschedule etc && promanager fim policy remove etc -y')
    .action(action(env, async (ctx, name: string) => {
      const { removePolicy } = await import('../app/fim-policy.js');
      const r = await removePolicy(ctx, name);
      if (ctx.globals.json) ctx.io.out(JSON.stringify({ ...r, removed: !ctx.globals.dryRun }) + '\n');
      else await say(ctx, `${ctx.globals.dryRun ? 'would remove' : 'removed'} FIM policy ${name} (${r.baselines} baseline(s))`);
    }));
}

function registerBaselineAndCheck(fim: Command, env: CliEnv): void {
  addTargetOptions(fim.command('baseline [policy]').description('scan the policy paths on hosts and keep the result as the baseline (all applying policies by default)'))
    .addHelpText('after', '\nExamples:\n  promanager fim baseline etc -c prod-bj\n  promanager fim baseline --hosts prom-1 -y   # replaces a baseline that has unaccepted changes')
    .action(action(env, async (ctx, policy: string | undefined, opts: Record<string, unknown>) => {
      const { takeBaselines, baselineFailure } = await import('../app/fim-baseline.js');
      const { printer, onEvent } = fanoutCommand<BaselineHostResult>(ctx, {
        judge: baselineFailure,
        json: (r) => ({ policies: (r?.policies ?? []).map(({ temp: _t, policy_id: _p, ...rest }) => rest) }),
        text: (r) => (r?.policies ?? []).map((p) => `${p.policy}: ${p.entries} entries, ${humanBytes(p.content_bytes)}${p.unknown.length ? `, ${p.unknown.length} unknown` : ''}`).join('; '),
        changed: (r) => (r?.policies ?? []).some((p) => p.sha256 !== null),
      }, (event, host) => {
        if (event.type !== 'done' || ctx.globals.json) return;
        for (const p of event.outcome.result?.policies ?? []) {
          for (const u of p.unknown) void warn(ctx, `${host.name}: ${p.policy}: unknown ${u.path}: ${u.reason}`);
          for (const m of p.missing_paths) void warn(ctx, `${host.name}: ${p.policy}: ${m} does not exist`);
        }
      });
      await printer.start(0);
      const run = await takeBaselines(ctx, targetOptions(opts), policy, onEvent);
      await printer.finish(run);
      return run.exitCode;
    }));

  addTargetOptions(fim.command('check [policy]').description('compare hosts with their baselines; exit 5 when anything was added, removed or modified'))
    .option('--full', 'rehash every file (default: files whose size, mtime, ctime and inode match are not read again)')
    .addHelpText('after', '\nChanges go to stdout: host, policy, kind, path, attributes, reason (tab-separated when piped).\nExamples:\n  promanager fim check -c prod-bj\n  promanager fim check etc --full --json')
    .action(action(env, async (ctx, policy: string | undefined, opts: Record<string, unknown>) => {
      const { checkHosts, checkFailure, hasDrift } = await import('../app/fim-check.js');
      const { printer, onEvent } = fanoutCommand<CheckHostResult>(ctx, {
        judge: checkFailure,
        json: (r) => ({ drift: hasDrift(r), policies: (r?.policies ?? []).map(({ found: _f, journal: _j, ...rest }) => rest) }),
        text: (r) => (r?.policies ?? []).map((p) => `${p.policy}: ${p.added} added, ${p.removed} removed, ${p.modified} modified, ${p.unknown} unknown`).join('; '),
        changed: (r) => hasDrift(r),
      }, (event, host, p) => {
        if (event.type !== 'done' || ctx.globals.json) return;
        for (const r of event.outcome.result?.policies ?? []) {
          const lines = changeLines(ctx, host, r.policy, r.changes);
          if (lines) p.above(() => ctx.io.out(lines));
          for (const f of r.scheduled_runs_failed) void warn(ctx, `${host.name}: ${r.policy}: scheduled check at ${f.at} failed: ${f.error}`);
        }
      });
      await printer.start(0);
      const run = await checkHosts(ctx, targetOptions(opts), policy, Boolean(opts.full), onEvent);
      await printer.finish(run);
      const results = run.outcomes.flatMap((o) => o.result?.policies ?? []);
      const events = results.reduce((n, r) => n + r.new_events, 0);
      if (!ctx.globals.json) ctx.io.err(`${run.outcomes.filter((o) => hasDrift(o.result)).length} host(s) with drift; ${events} new event(s) recorded${events ? ' (promanager fim events --unaccepted)' : ''}\n`);
      return run.exitCode;
    }));
}

function registerAcceptAndEvents(fim: Command, env: CliEnv): void {
  addTargetOptions(fim.command('accept [policy]').description('take the changes the last check found into the baseline, with a recorded reason'))
    .option('--path <glob>', "only changes under these paths, e.g. '/etc/ssl/**'")
    .requiredOption('--reason <why>', 'why the changes are legitimate (recorded with who and when)')
    .addHelpText('after', '\nExample:\n  promanager fim accept etc --hosts prom-1 --path /etc/hosts --reason "added backup host, CHG-1234"')
    .action(action(env, async (ctx, policy: string | undefined, opts: Record<string, unknown>) => {
      const { acceptChanges } = await import('../app/fim-accept.js');
      const r = await acceptChanges(ctx, targetOptions(opts), { policy, pathGlob: (opts.path as string | undefined) ?? null, reason: String(opts.reason) });
      await printTable(ctx, r.accepted, [
        { header: 'HOST', value: (a) => a.host },
        { header: 'POLICY', value: (a) => a.policy },
        { header: 'PATHS', value: (a) => a.paths },
        { header: 'EVENTS', value: (a) => a.events },
        { header: 'SCHEDULED', value: (a) => a.scheduled },
      ], () => ({ accepted: r.accepted, push_failed: r.push?.outcomes.filter((o) => !o.ok).map((o) => ({ host: o.host.name, error: o.failure })) ?? [] }));
      for (const o of r.push?.outcomes.filter((x) => !x.ok) ?? []) await warn(ctx, `${o.host.name}: its metrics (and, if scheduled, the new baseline) could not be updated (${o.failure}); the next fim check does it`);
      if (!ctx.globals.json) await say(ctx, r.accepted.length ? `accepted ${r.accepted.reduce((n, a) => n + a.paths, 0)} path(s) on ${r.accepted.length} baseline(s)` : 'nothing to accept');
      return r.push?.exitCode ?? 0;
    }));

  addTargetOptions(fim.command('events').description('recorded changes, oldest first'))
    .option('--since <time>', 'only events detected since: a date/time or an age such as 30m, 12h, 7d')
    .option('--policy <name>', 'only this policy')
    .option('--accepted', 'only accepted events')
    .option('--unaccepted', 'only events not yet accepted')
    .option('--collect', 'first pull what scheduled checks journalled on the hosts')
    .addHelpText('after', '\nExamples:\n  promanager fim events --since 24h --unaccepted\n  promanager fim events --collect -c prod-bj --json')
    .action(action(env, async (ctx, opts: Record<string, unknown>) => {
      if (opts.accepted && opts.unaccepted) throw new UsageError('--accepted and --unaccepted exclude each other');
      const targets = targetOptions(opts);
      if (opts.collect) {
        const { collectJournals, collectFailure } = await import('../app/fim-collect.js');
        const { printer, onEvent } = fanoutCommand<CollectHostResult>(ctx, {
        judge: collectFailure,
          json: (r) => ({ policies: (r?.policies ?? []).map(({ pulled: _p, ...rest }) => rest) }),
          text: (r) => (r?.policies ?? []).map((p) => `${p.policy}: ${p.lines} journal line(s), ${p.new_events} new event(s)`).join('; '),
        });
        const run = await collectJournals(ctx, targets, opts.policy as string | undefined, ctx.globals.json ? undefined : onEvent);
        if (!ctx.globals.json) await printer.finish(run);
        if (run.exitCode !== 0) ctx.io.err('some journals could not be collected; the events below lack them\n');
      }
      const { listEvents } = await import('../app/fim-events.js');
      const events = await listEvents(ctx, { cluster: targets.cluster, selector: targets.selector, hosts: targets.hosts }, {
        since: opts.since as string | undefined, policy: opts.policy as string | undefined, accepted: opts.accepted ? true : opts.unaccepted ? false : undefined,
      });
      await printTable(ctx, events, [
        { header: 'DETECTED', value: (e) => e.detected_at },
        { header: 'HOST', value: (e) => e.host },
        { header: 'POLICY', value: (e) => e.policy },
        { header: 'KIND', value: (e) => e.kind },
        { header: 'PATH', value: (e) => e.path },
        { header: 'ATTRIBUTES', value: (e) => (e.kind === 'modified' ? e.attributes : e.reason) },
        { header: 'ACCEPTED', value: (e) => (e.accepted ? `${e.accepted_by} ${e.accepted_at}: ${e.accept_reason}` : 'no') },
      ], () => events);
    }));
}

function registerSchedule(fim: Command, env: CliEnv): void {
  const line = {
    json: (r: ScheduleHostResult | null) => ({ policy: r?.policy ?? null, schedule: r?.schedule ?? null, where: r?.where ?? null, uploaded: r?.uploaded ?? false, next_runs: r?.next_runs ?? [], cron_running: r?.cron_running ?? null }),
    text: (r: ScheduleHostResult | null) => (r ? `${r.policy}: ${r.schedule ?? 'unscheduled'} (${r.where})${r.cron_running === false ? '; warning: cron is installed but no cron daemon is running' : ''}` : ''),
    changed: (r: ScheduleHostResult | null) => Boolean(r?.changed),
  };
  addTargetOptions(fim.command('schedule <policy>').description('install a cron entry on hosts that checks the policy with nice/ionice and writes textfile metrics'))
    .requiredOption('--cron <expr>', "when, as five cron fields, e.g. '*/30 * * * *'")
    .addHelpText('after', "\nMetrics (node_exporter textfile collector): promanager_fim_changed_files, promanager_fim_unknown_files,\npromanager_fim_last_check_timestamp_seconds, labelled by policy.\nExample:\n  promanager fim schedule etc --cron '*/30 * * * *' -c prod-bj")
    .action(action(env, async (ctx, policy: string, opts: Record<string, unknown>) => {
      const { schedulePolicy } = await import('../app/fim-schedule.js');
      const { printer, onEvent } = fanoutCommand<ScheduleHostResult>(ctx, line);
      await printer.start(0);
      const run = await schedulePolicy(ctx, targetOptions(opts), policy, String(opts.cron), onEvent);
      await printer.finish(run);
      return run.exitCode;
    }));
  addTargetOptions(fim.command('unschedule <policy>').description("remove the policy's cron entry and metrics file from hosts"))
    .addHelpText('after', '\nExample:\n  promanager fim unschedule etc -c prod-bj')
    .action(action(env, async (ctx, policy: string, opts: Record<string, unknown>) => {
      const { unschedulePolicy } = await import('../app/fim-schedule.js');
      const { printer, onEvent } = fanoutCommand<ScheduleHostResult>(ctx, line);
      await printer.start(0);
      const run = await unschedulePolicy(ctx, targetOptions(opts), policy, onEvent);
      await printer.finish(run);
      return run.exitCode;
    }));
}

export function registerFim(program: Command, env: CliEnv): void {
  const fim = program.command('fim').description('file integrity monitoring: policies, baselines, checks, events, schedules');
  registerPolicy(fim, env);
  registerBaselineAndCheck(fim, env);
  registerAcceptAndEvents(fim, env);
  registerSchedule(fim, env);
}
