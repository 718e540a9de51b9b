// The targeting flags shared by every command that works on hosts.
import type { Command } from 'commander';
import type { TargetOptions } from '../core/targets.js';

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('-c, --cluster <name>', 'only hosts of this cluster')
    .option('-l, --selector <expr>', "label selector, e.g. 'env=prod,zone in (a,b)'")
    .option('--hosts <list>', 'host names or IPs, comma-separated, globs allowed')
    .option('--limit <set>', "'@failed': only the hosts that failed the previous run of this command");
}

export function targetOptions(opts: Record<string, unknown>): TargetOptions & { limit?: string } {
  return {
    cluster: opts.cluster as string | undefined,
    selector: opts.selector as string | undefined,
    hosts: opts.hosts as string | undefined,
    limit: opts.limit as string | undefined,
  };
}
