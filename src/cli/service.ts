import type { Command } from 'commander';
import { humanSeconds } from './human.js';
import { action, intOption, type CliEnv } from './run.js';
import { printTable } from './output.js';
import { addTargetOptions, targetOptions } from './targets.js';
import { FanoutPrinter, withHint } from './fanout-output.js';
import type { Context } from '../app/context.js';
import type { RemoteRun } from '../app/remote-run.js';
import type { ServiceOutcome } from '../app/services.js';
import type { LogsHostResult } from '../app/service-logs.js';

function printer(ctx: Context): FanoutPrinter<ServiceOutcome> {
  const p = new FanoutPrinter<ServiceOutcome>(ctx, {
    json: (r) => (r ? { component: r.component, action: r.action, version: r.version, previous_version: r.previous_version, status: r.status, health: r.health, pid: r.pid, uptime_s: r.uptime_s, listen_address: r.listen_address, uploaded: r.uploaded, downloaded: r.downloaded, steps: r.steps, plan: r.plan } : {}),
    text: (r) => {
      if (!r) return '';
      if (r.plan) return `plan: ${r.plan.join('; ')}`;
      if (r.status === 'removed') return r.changed ? `removed (${r.steps.length} step(s))` : 'not installed: nothing to remove';
      const up = r.uptime_s === null ? null : `up ${ctx.io.stdoutIsTTY ? humanSeconds(r.uptime_s) : `${r.uptime_s}s`}`;
      return [r.status, r.version ?? '-', `health ${r.health}`, r.pid ? `pid ${r.pid}` : null, up].filter(Boolean).join(' ');
    },
    changed: (r) => Boolean(r?.changed),
  });
  p.judgeFailure = (o) => {
    const base = withHint(o);
    const log = (o.error?.detail as { stderr?: string } | undefined)?.stderr;
    return base && log ? `${base}\n${log}` : base;
  };
  return p;
}

async function finish(ctx: Context, p: FanoutPrinter<ServiceOutcome>, run: RemoteRun<ServiceOutcome>): Promise<number> {
  await p.finish(run);
  return run.exitCode;
}

export function registerService(program: Command, env: CliEnv): void {
  const service = program.command('service').description('install and run Prometheus components on hosts');
  addTargetOptions(service.command('install <component>').description('install (download once, verify, upload, unpack, user, dirs, default config, unit or supervisor) and start, health-gated'))
    .option('--version <version>', 'version (default: <component>_version from the inventory, else the newest known)')
    .option('--serial <n>', 'hosts per batch; stop after a failed batch', intOption('--serial'))
    .option('--mirror <url>', 'artifact mirror laid out like the official releases (or artifact_mirror in the inventory)')
    .option('--listen-address <addr>', 'host:port to listen on (or <component>_listen_address)')
    .addHelpText('after', '\nExamples:\n  promanager service install node_exporter --version 1.8.2\n  promanager service install prometheus -l role=prometheus --serial 1\n  promanager service install prometheus --dry-run')
    .action(action(env, async (ctx, component: string, opts: Record<string, unknown>) => {
      const { installService } = await import('../app/services.js');
      const p = printer(ctx);
      await p.start(0);
      const run = await installService(ctx, component, { version: opts.version as string | undefined, serial: opts.serial as number | undefined, mirror: opts.mirror as string | undefined, listenAddress: opts.listenAddress as string | undefined, targets: targetOptions(opts), onEvent: p.onEvent, onProgress: (m) => p.above(() => ctx.io.err(`${m}\n`)) });
      return finish(ctx, p, run);
    }));
  addTargetOptions(service.command('upgrade <component>').description('move to another version in batches: install beside, switch, restart, health gate; a failed gate switches that host back and stops the rollout'))
    .requiredOption('--version <version>', 'the version to move to')
    .option('--serial <n>', 'hosts per batch (default: all at once)', intOption('--serial'))
    .option('--mirror <url>', 'artifact mirror')
    .addHelpText('after', '\nExample:\n  promanager service upgrade prometheus --version 2.53.1 --serial 2')
    .action(action(env, async (ctx, component: string, opts: Record<string, unknown>) => {
      const { upgradeService } = await import('../app/services.js');
      const p = printer(ctx);
      await p.start(0);
      const run = await upgradeService(ctx, component, { version: opts.version as string, serial: opts.serial as number | undefined, mirror: opts.mirror as string | undefined, targets: targetOptions(opts), onEvent: p.onEvent, onProgress: (m) => p.above(() => ctx.io.err(`${m}\n`)) });
      return finish(ctx, p, run);
    }));
  addTargetOptions(service.command('rollback <component>').description('return to the previous version (switch, restart, health gate)'))
    .option('--serial <n>', 'hosts per batch', intOption('--serial'))
    .addHelpText('after', '\nExample:\n  promanager service rollback prometheus -c prod-bj')
    .action(action(env, async (ctx, component: string, opts: Record<string, unknown>) => {
      const { rollbackService } = await import('../app/services.js');
      const p = printer(ctx);
      await p.start(0);
      return finish(ctx, p, await rollbackService(ctx, component, { serial: opts.serial as number | undefined, targets: targetOptions(opts), onEvent: p.onEvent }));
    }));
  for (const verb of ['start', 'stop', 'restart', 'reload', 'status', 'uninstall'] as const) {
    const descriptions = {
      start: 'start, and wait until the health endpoint answers',
      stop: 'stop (SIGTERM, then SIGKILL after the deadline)',
      restart: 'stop and start, health-gated',
      reload: 'reload the configuration (HTTP reload endpoint or SIGHUP), health-gated',
      status: 'running / stopped / failed, pid, version, uptime, health',
      uninstall: 'stop and remove binaries, unit and service files; data and config stay unless --purge (asks, or needs -y)',
    };
    const cmd = addTargetOptions(service.command(`${verb} <component>`).description(descriptions[verb]));
    if (verb === 'uninstall') cmd.option('--purge', 'also delete data, config and logs');
    cmd.addHelpText('after', `\nExample:\n  promanager service ${verb} prometheus -c prod-bj${verb === 'uninstall' ? ' -y' : ''}`)
      .action(action(env, async (ctx, component: string, opts: Record<string, unknown>) => {
        const { lifecycle } = await import('../app/services.js');
        if (verb === 'uninstall') {
          const { confirmOrThrow } = await import('../app/read.js');
          await confirmOrThrow(ctx, `uninstall ${component}${opts.purge ? ' and DELETE its data and config' : ''} on the targeted hosts`);
        }
        const p = printer(ctx);
        await p.start(0);
        return finish(ctx, p, await lifecycle(ctx, verb, component, { purge: Boolean(opts.purge), targets: targetOptions(opts), onEvent: p.onEvent }));
      }));
  }
  addTargetOptions(service.command('logs <component>').description("the component's log on each host: the supervisor's log file, or the unit's journal where systemd runs"))
    .option('-n, --lines <n>', 'lines to show from the end (default 50)', intOption('--lines', 0, 1_000_000))
    .option('--follow', 'keep printing new lines until Ctrl-C')
    .addHelpText('after', '\nExamples:\n  promanager service logs prometheus --hosts prom-1 -n 100\n  promanager service logs node_exporter -c prod-bj --follow')
    .action(action(env, async (ctx, component: string, opts: Record<string, unknown>) => {
      const { serviceLogs } = await import('../app/service-logs.js');
      const { lineStreamer } = await import('./line-stream.js');
      const p = new FanoutPrinter<LogsHostResult>(ctx, {
        json: (r) => ({ source: r?.source ?? null, exit_code: r?.exit_code ?? null }),
        text: (r) => r?.source ?? '',
      }, { statusToStderr: true });
      await p.start(0);
      const streamer = lineStreamer(ctx, p);
      const run = await serviceLogs(ctx, component, {
        lines: (opts.lines as number | undefined) ?? 50,
        follow: Boolean(opts.follow),
        targets: targetOptions(opts),
        onOutput: streamer.onOutput,
        onEvent: (event, host) => {
          if (event.type === 'done') streamer.flush(host);
          p.onEvent(event, host);
        },
      });
      await p.finish(run);
      return run.exitCode;
    }));
  addTargetOptions(service.command('list').description('service records: host, component, version, status, listen address'))
    .addHelpText('after', '\nExample:\n  promanager service list -c prod-bj --json')
    .action(action(env, async (ctx, opts: Record<string, unknown>) => {
      const { listServices } = await import('../app/services.js');
      const rows = await listServices(ctx, targetOptions(opts));
      await printTable(ctx, rows, [
        { header: 'HOST', value: (r) => r.host },
        { header: 'COMPONENT', value: (r) => r.component_name },
        { header: 'VERSION', value: (r) => r.version },
        { header: 'STATUS', value: (r) => r.status },
        { header: 'LISTEN', value: (r) => r.listen_address },
        { header: 'PREVIOUS', value: (r) => r.previous_version },
      ], () => rows);
    }));
}
