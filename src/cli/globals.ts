// Global options may stand anywhere before `--` (cli.md: `promanager --json host list` == `host list --json`).
// Commander only knows options at the level they are declared, so they are lifted out of argv here first and
// the rest goes to commander. Environment twins fill what the command line leaves unset.
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import type { GlobalOptions } from '../app/context.js';

interface GlobalSpec {
  long: string;
  short?: string;
  takesValue: boolean;
  description: string;
  valueName?: string;
}

export const GLOBAL_OPTIONS: GlobalSpec[] = [
  { long: 'home', takesValue: true, valueName: 'dir', description: 'state directory (env PROMANAGER_HOME, default ~/.promanager)' },
  { long: 'inventory', short: 'i', takesValue: true, valueName: 'file', description: 'inventory file to use as the source of clusters, hosts and labels (env PROMANAGER_INVENTORY)' },
  { long: 'json', takesValue: false, description: 'machine output on stdout' },
  { long: 'yes', short: 'y', takesValue: false, description: 'confirm destructive actions (required when stdin is not a terminal)' },
  { long: 'dry-run', takesValue: false, description: 'show the plan, change nothing' },
  { long: 'forks', short: 'f', takesValue: true, valueName: 'n', description: 'hosts worked on at once (env PROMANAGER_FORKS, default 50)' },
  { long: 'timeout', takesValue: true, valueName: 's', description: 'per-host operation deadline in seconds' },
  { long: 'debug', takesValue: false, description: 'stack traces and protocol detail on stderr (env PROMANAGER_DEBUG)' },
  { long: 'as', takesValue: true, valueName: 'user', description: 'act as another promanager user (sysadmin only; audited)' },
  { long: 'known-hosts', takesValue: true, valueName: 'file', description: 'known_hosts file to verify host keys against (env PROMANAGER_KNOWN_HOSTS)' },
  { long: 'accept-new-host-keys', takesValue: false, description: 'trust and pin keys of hosts never seen before' },
  { long: 'become', takesValue: false, description: 'run remote work through sudo' },
];

export interface SplitArgs {
  globals: GlobalOptions;
  rest: string[];
}

/** Lifts global options out of argv (user arguments only, no node/script). Stops at `--`. */
export function splitGlobalOptions(args: string[], env: NodeJS.ProcessEnv = process.env): SplitArgs {
  const raw = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    const spec = matchGlobal(arg);
    if (!spec) {
      rest.push(arg);
      continue;
    }
    const inline = arg.startsWith('--') && arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : undefined;
    if (!spec.takesValue) {
      if (inline !== undefined) throw new UsageError(`option --${spec.long} takes no value`);
      raw.set(spec.long, true);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new UsageError(`option --${spec.long} <${spec.valueName}> needs a value`);
    raw.set(spec.long, value);
  }
  return { globals: resolveGlobals(raw, env), rest };
}

function matchGlobal(arg: string): GlobalSpec | undefined {
  if (arg.startsWith('--')) {
    const name = arg.slice(2).split('=')[0];
    return GLOBAL_OPTIONS.find((g) => g.long === name);
  }
  if (/^-[a-zA-Z]$/.test(arg)) return GLOBAL_OPTIONS.find((g) => g.short === arg[1]);
  return undefined;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

function positiveInt(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${what} must be a positive whole number, got '${value}'`);
  return Number(value);
}

function resolveGlobals(raw: Map<string, string | true>, env: NodeJS.ProcessEnv): GlobalOptions {
  const str = (name: string): string | undefined => {
    const v = raw.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const flag = (name: string): boolean => raw.get(name) === true;
  const forks = str('forks') ?? env.PROMANAGER_FORKS;
  const timeout = str('timeout');
  const inventory = str('inventory') ?? (env.PROMANAGER_INVENTORY || undefined);
  return {
    home: path.resolve(expandHome(str('home') ?? (env.PROMANAGER_HOME || path.join(os.homedir(), '.promanager')))),
    inventory: inventory ? path.resolve(expandHome(inventory)) : undefined,
    json: flag('json'),
    yes: flag('yes'),
    dryRun: flag('dry-run'),
    forks: forks ? positiveInt(forks, '--forks') : 50,
    timeout: timeout ? positiveInt(timeout, '--timeout') : undefined,
    debug: flag('debug') || (env.PROMANAGER_DEBUG !== undefined && env.PROMANAGER_DEBUG !== '' && env.PROMANAGER_DEBUG !== '0'),
    as: str('as'),
    knownHosts: path.resolve(expandHome(str('known-hosts') ?? (env.PROMANAGER_KNOWN_HOSTS || '~/.ssh/known_hosts'))),
    acceptNewHostKeys: flag('accept-new-host-keys'),
    become: flag('become'),
  };
}
