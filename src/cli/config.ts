// `promanager config render|diff|push <component> [targets]`: Prometheus and Alertmanager configuration,
// rule files and file_sd scrape targets from the inventory.
import type { Command } from 'commander';
import { action, intOption, type CliEnv } from './run.js';
import { addTargetOptions, targetOptions } from './targets.js';
import { FanoutPrinter, withHint } from './fanout-output.js';
import type { Context } from '../app/context.js';
import type { ConfigOptions, ConfigOutcome } from '../app/config.js';

function printer(ctx: Context, opts: { statusToStderr: boolean }): FanoutPrinter<ConfigOutcome> {
  const p = new FanoutPrinter<ConfigOutcome>(ctx, {
    json: (r) => (r ? { component: r.component, action: r.action, files_changed: r.files_changed, pruned: r.pruned, diff: r.diff, validation: r.validation, confirmation: r.confirmation, steps: r.steps } : {}),
    text: (r) => {
      if (!r) return '';
      if (!r.changed) return 'up to date';
      const what = [r.files_changed.length ? `${r.action === 'push' ? 'wrote' : 'would write'} ${r.files_changed.join(', ')}` : null, r.pruned.length ? `${r.action === 'push' ? 'pruned' : 'would prune'} ${r.pruned.join(', ')}` : null].filter(Boolean).join('; ');
      return r.confirmation ? `${what}; ${r.confirmation}` : what;
    },
    changed: (r) => Boolean(r?.changed),
  }, opts);
  // The validator's or the reload's own message is the useful part of a failure: show it whole.
  p.judgeFailure = (o) => withHint(o);
  return p;
}

/** Diffs go to stdout as they arrive (they name their host in the ---/+++ lines); status lines to stderr. */
function diffPrinter(ctx: Context): FanoutPrinter<ConfigOutcome> {
  const p = printer(ctx, { statusToStderr: true });
  const onEvent = p.onEvent;
  p.onEvent = (event, host) => {
    if (!ctx.globals.json && event.type === 'done' && event.outcome.result?.diff) ctx.io.out(event.outcome.result.diff);
    onEvent(event, host);
  };
  return p;
}

function options(opts: Record<string, unknown>, p: FanoutPrinter<ConfigOutcome>): ConfigOptions {
  return { rulesDir: opts.rulesDir as string | undefined, serial: opts.serial as number | undefined, targets: targetOptions(opts), onEvent: p.onEvent };
}

const SOURCES_HELP = `
Rule files: rules/*.yml (every cluster) and rules/<cluster>/*.yml beside the inventory file (-i), else in
$PROMANAGER_HOME/rules; --rules-dir overrides. templates/prometheus.yml.njk and templates/alertmanager.yml.njk
in the same place override the built-in templates.`;

export function registerConfig(program: Command, env: CliEnv): void {
  const config = program.command('config').description('Prometheus and Alertmanager config, rules and scrape targets from the inventory');
  addTargetOptions(config.command('render <component>').description('print what a push would write, per host (no host is contacted)'))
    .option('--rules-dir <dir>', 'where rule files are read from')
    .addHelpText('after', `${SOURCES_HELP}\n\nExamples:\n  promanager -i fleet.yml config render prometheus -c prod-bj\n  promanager config render alertmanager --json | jq -r '.[0].files[0].content'`)
    .action(action(env, async (ctx, component: string, opts: Record<string, unknown>) => {
      const { renderConfig } = await import('../app/config.js');
      const rendered = await renderConfig(ctx, component, { rulesDir: opts.rulesDir as string | undefined, targets: targetOptions(opts) });
      if (ctx.globals.json) {
        ctx.io.out(`${JSON.stringify(rendered, null, 2)}\n`);
        return;
      }
      for (const h of rendered) {
        for (const f of h.files) ctx.io.out(`# ==> ${h.host} (${h.cluster_name}): ${f.path} <==\n${f.content}${f.content.endsWith('\n') ? '' : '\n'}`);
      }
    }));
  addTargetOptions(config.command('diff <component>').description('unified diff per host between what is there and what a push would write; exit 0 either way (see "changed")'))
    .option('--rules-dir <dir>', 'where rule files are read from')
    .addHelpText('after', `${SOURCES_HELP}\n\nExamples:\n  promanager config diff prometheus -c prod-bj\n  promanager config diff prometheus --json | jq 'select(.changed) | .host'`)
    .action(action(env, async (ctx, component: string, opts: Record<string, unknown>) => {
      const { diffConfig } = await import('../app/config.js');
      const p = diffPrinter(ctx);
      await p.start(0);
      const run = await diffConfig(ctx, component, options(opts, p));
      await p.finish(run);
      return run.exitCode;
    }));
  addTargetOptions(config.command('push <component>').description('stage, validate (promtool/amtool), swap atomically, reload and confirm; a failed validation or reload leaves the previous config in place'))
    .option('--rules-dir <dir>', 'where rule files are read from')
    .option('--serial <n>', 'hosts per batch; stop after a failed batch', intOption('--serial'))
    .addHelpText('after', `${SOURCES_HELP}\n\n--dry-run shows the diff instead (same as config diff).\n\nExamples:\n  promanager -i fleet.yml config push prometheus -c prod-bj\n  promanager config push alertmanager --serial 1\n  promanager config push prometheus --dry-run`)
    .action(action(env, async (ctx, component: string, opts: Record<string, unknown>) => {
      const { pushConfig } = await import('../app/config.js');
      const p = ctx.globals.dryRun ? diffPrinter(ctx) : printer(ctx, { statusToStderr: false });
      await p.start(0);
      const run = await pushConfig(ctx, component, options(opts, p));
      await p.finish(run);
      return run.exitCode;
    }));
}
