// Which hosts a command works on, from the targeting flags (`-c`, `-l`, `--hosts`, `--limit @failed`).
// Pure: the caller loads the hosts the user may act on, resolves `@failed` to names and checks that a named
// cluster exists; this module only filters, so every rule here is testable without state or SSH.

import { NotFoundError, UsageError, suggest } from './errors.js';
import { matchesSelector, parseSelector } from './selector.js';

export interface TargetableHost {
  id: number;
  name: string;
  ip: string;
  cluster_name: string;
  /** Effective labels (the cluster's merged with the host's own), which is what selectors are written against. */
  labels: Record<string, string>;
}

export interface TargetOptions {
  /** `-c, --cluster`: only hosts of this cluster. */
  cluster?: string;
  /** `-l, --selector`: a label selector; malformed → SelectorError (exit 2). An empty string is malformed too. */
  selector?: string;
  /** `--hosts`: comma-separated names or IPs, each possibly a glob. */
  hosts?: string;
  /** `--limit @failed`: names of hosts that failed last run. An empty list selects nothing (nothing failed). */
  limitFailed?: string[];
}

/**
 * The hosts of `all` that pass every given filter (filters combine with AND), in the order of `all`.
 * An absent option does not filter. Throws NotFoundError when a literal (non-glob) `--hosts` entry names no host
 * at all, since that is almost always a typo; an entry that exists but is filtered out by another flag is fine.
 */
export function selectTargets<T extends TargetableHost>(all: T[], opts: TargetOptions): T[] {
  // Parse and resolve every flag before filtering, so a bad flag is reported even when another flag already
  // leaves nothing to select.
  const requirements = opts.selector === undefined ? undefined : parseSelector(opts.selector);
  const hostMatcher = opts.hosts === undefined ? undefined : compileHostList(opts.hosts, all);
  const failedNames = opts.limitFailed === undefined ? undefined : new Set(opts.limitFailed);

  return all.filter(
    (host) =>
      (opts.cluster === undefined || host.cluster_name === opts.cluster) &&
      (requirements === undefined || matchesSelector(host.labels, requirements)) &&
      (hostMatcher === undefined || hostMatcher(host)) &&
      (failedNames === undefined || failedNames.has(host.name)),
  );
}

/** A predicate for a `--hosts` list; throws when a literal entry matches no host in `all`. */
function compileHostList(list: string, all: TargetableHost[]): (host: TargetableHost) => boolean {
  // Empty entries (`a,,b`, a trailing comma) are forgiven; a list with no entry at all is not, because running
  // a command on "no hosts" or on "all hosts" would both surprise whoever passed `--hosts ""`.
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) {
    throw new UsageError('--hosts needs at least one host name or IP', 'e.g. --hosts prom-1,10.0.0.12 or --hosts "prom-*"');
  }

  const literals = new Set<string>();
  const patterns: RegExp[] = [];
  for (const entry of entries) {
    if (isGlob(entry)) {
      patterns.push(globToRegExp(entry));
      continue;
    }
    if (!all.some((host) => host.name === entry || host.ip === entry)) {
      const candidates = new Set(all.flatMap((host) => [host.name, host.ip]));
      throw new NotFoundError('host', entry, suggest(entry, candidates));
    }
    literals.add(entry);
  }

  return (host) =>
    literals.has(host.name) ||
    literals.has(host.ip) ||
    patterns.some((pattern) => pattern.test(host.name) || pattern.test(host.ip));
}

function isGlob(entry: string): boolean {
  return /[*?[]/.test(entry);
}

/**
 * A shell-style glob as an anchored, case-sensitive RegExp: `*` is any run of characters (dots included, so
 * `10.0.0.*` matches `10.0.0.11`), `?` exactly one, `[abc]`, `[a-z]` and `[!abc]`/`[^abc]` one of / none of a set.
 * Everything else is literal. A `[` without a closing `]` is literal, as in the shell.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  let i = 0;
  while (i < glob.length) {
    const ch = glob[i]!;
    if (ch === '*') {
      source += '.*';
      i++;
    } else if (ch === '?') {
      source += '.';
      i++;
    } else if (ch === '[') {
      const bracket = readBracketExpression(glob, i);
      if (bracket) {
        source += bracket.source;
        i = bracket.end;
      } else {
        source += '\\[';
        i++;
      }
    } else {
      source += escapeRegExp(ch);
      i++;
    }
  }
  try {
    // 's' so '.' also matches line breaks: a glob wildcard means any character, whatever it is.
    return new RegExp(`^${source}$`, 's');
  } catch {
    // The only way to get here is a reversed range such as `[9-0]`, which the RegExp engine rejects.
    throw new UsageError(`invalid host pattern '${glob}': a range in [...] must go from low to high, e.g. [0-9]`);
  }
}

/** The character class starting at glob[open] === '[', or undefined if it is never closed. */
function readBracketExpression(glob: string, open: number): { source: string; end: number } | undefined {
  let i = open + 1;
  let negated = false;
  if (glob[i] === '!' || glob[i] === '^') {
    negated = true;
    i++;
  }
  const membersStart = i;
  // As in the shell, a ']' right after '[' or '[!' is a member, not the end (so `[]a]` matches ']' or 'a').
  if (glob[i] === ']') i++;
  while (i < glob.length && glob[i] !== ']') i++;
  if (i >= glob.length) return undefined;

  const members = glob.slice(membersStart, i);
  // Inside a RegExp class only '\', ']' and '^' are special ('-' keeps its range meaning on purpose).
  const escaped = members.replace(/[\\\]^]/g, (special) => `\\${special}`);
  return { source: `[${negated ? '^' : ''}${escaped}]`, end: i + 1 };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, (special) => `\\${special}`);
}
