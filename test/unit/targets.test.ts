import { describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../src/core/errors.js';
import { SelectorError } from '../../src/core/selector.js';
import { globToRegExp, selectTargets, type TargetableHost } from '../../src/core/targets.js';

// Extra fields check that selectTargets hands back the caller's own objects and type.
interface FleetHost extends TargetableHost {
  ssh_user: string;
}

function host(id: number, name: string, ip: string, cluster_name: string, labels: Record<string, string>): FleetHost {
  return { id, name, ip, cluster_name, labels, ssh_user: 'root' };
}

const fleet: FleetHost[] = [
  host(1, 'prom-1', '10.0.0.11', 'prod-bj', { env: 'prod', role: 'prometheus', zone: 'a' }),
  host(2, 'prom-2', '10.0.0.12', 'prod-bj', { env: 'prod', role: 'prometheus', zone: 'b' }),
  host(3, 'node-7', '10.0.0.17', 'prod-bj', { env: 'prod', zone: 'b', gpu: '' }),
  host(4, 'prom-3', '10.1.0.11', 'prod-sh', { env: 'prod', role: 'prometheus', zone: 'a', canary: '' }),
  host(5, 'alert-1', '10.1.0.21', 'prod-sh', { env: 'prod', role: 'alertmanager' }),
  host(6, 'dev-1', '192.168.1.5', 'dev', { env: 'dev' }),
];

const names = (hosts: TargetableHost[]): string[] => hosts.map((h) => h.name);

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('selectTargets: single filters', () => {
  it('selects every host when no targeting option is given', () => {
    expect(selectTargets(fleet, {})).toEqual(fleet);
  });

  it('returns the caller’s own objects', () => {
    const [first] = selectTargets(fleet, { hosts: 'prom-1' });
    expect(first).toBe(fleet[0]);
    expect(first?.ssh_user).toBe('root');
  });

  it('--cluster keeps the hosts of that cluster', () => {
    expect(names(selectTargets(fleet, { cluster: 'prod-sh' }))).toEqual(['prom-3', 'alert-1']);
  });

  it('--cluster naming a cluster without hosts gives no hosts, not an error', () => {
    expect(selectTargets(fleet, { cluster: 'empty' })).toEqual([]);
  });

  it('--selector keeps the hosts whose labels match', () => {
    expect(names(selectTargets(fleet, { selector: 'role=prometheus,zone=a' }))).toEqual(['prom-1', 'prom-3']);
    expect(names(selectTargets(fleet, { selector: 'gpu' }))).toEqual(['node-7']);
    expect(names(selectTargets(fleet, { selector: 'role notin (prometheus)' }))).toEqual(['node-7', 'alert-1', 'dev-1']);
    expect(names(selectTargets(fleet, { selector: 'role=prometheus,!canary' }))).toEqual(['prom-1', 'prom-2']);
  });

  it('--selector that is malformed is a SelectorError (exit 2), also the empty string', () => {
    expect(thrown(() => selectTargets(fleet, { selector: 'zone in a' }))).toBeInstanceOf(SelectorError);
    const empty = thrown(() => selectTargets(fleet, { selector: '' }));
    expect(empty).toBeInstanceOf(SelectorError);
    expect((empty as SelectorError).exitCode).toBe(2);
  });

  it('--hosts takes names and IPs, comma-separated, with whitespace and empty entries forgiven', () => {
    expect(names(selectTargets(fleet, { hosts: 'prom-1, 10.1.0.21,,' }))).toEqual(['prom-1', 'alert-1']);
  });

  it('--hosts keeps the order of the host list, not of the flag', () => {
    expect(names(selectTargets(fleet, { hosts: 'dev-1,prom-2,prom-1' }))).toEqual(['prom-1', 'prom-2', 'dev-1']);
  });

  it('--hosts selects a host once even when several entries match it', () => {
    expect(names(selectTargets(fleet, { hosts: 'prom-1,10.0.0.11,prom-*' }))).toEqual(['prom-1', 'prom-2', 'prom-3']);
  });

  it('--hosts accepts globs on names and on IPs', () => {
    expect(names(selectTargets(fleet, { hosts: 'prom-*' }))).toEqual(['prom-1', 'prom-2', 'prom-3']);
    expect(names(selectTargets(fleet, { hosts: '10.0.0.*' }))).toEqual(['prom-1', 'prom-2', 'node-7']);
    expect(names(selectTargets(fleet, { hosts: 'prom-?' }))).toEqual(['prom-1', 'prom-2', 'prom-3']);
    expect(names(selectTargets(fleet, { hosts: 'prom-[13]' }))).toEqual(['prom-1', 'prom-3']);
    expect(names(selectTargets(fleet, { hosts: 'prom-[!13]' }))).toEqual(['prom-2']);
    expect(names(selectTargets(fleet, { hosts: '10.1.0.[1-2]1' }))).toEqual(['prom-3', 'alert-1']);
  });

  it('--hosts glob that matches nothing gives no hosts, not an error', () => {
    expect(selectTargets(fleet, { hosts: 'web-*' })).toEqual([]);
  });

  it('--hosts naming an unknown host is a NotFoundError with a suggestion', () => {
    const error = thrown(() => selectTargets(fleet, { hosts: 'prom-1,prom-l' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toBe("host 'prom-l' not found");
    expect((error as NotFoundError).hint).toContain("'prom-1'");
    expect((error as NotFoundError).exitCode).toBe(1);
  });

  it('--hosts naming an unknown IP suggests a close IP', () => {
    const error = thrown(() => selectTargets(fleet, { hosts: '10.0.0.1' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).hint).toContain("'10.0.0.11'");
  });

  it('--hosts with nothing in it is a usage error', () => {
    const error = thrown(() => selectTargets(fleet, { hosts: ' , ' }));
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
  });

  it('--limit @failed keeps the hosts that failed last time, ignoring names of hosts since removed', () => {
    expect(names(selectTargets(fleet, { limitFailed: ['node-7', 'alert-1', 'gone-9'] }))).toEqual(['node-7', 'alert-1']);
  });

  it('--limit @failed with nothing failed selects nothing', () => {
    expect(selectTargets(fleet, { limitFailed: [] })).toEqual([]);
  });
});

describe('selectTargets: filters combine with AND', () => {
  it('cluster AND selector', () => {
    expect(names(selectTargets(fleet, { cluster: 'prod-bj', selector: 'zone=b' }))).toEqual(['prom-2', 'node-7']);
  });

  it('cluster AND hosts', () => {
    expect(names(selectTargets(fleet, { cluster: 'prod-sh', hosts: 'prom-*' }))).toEqual(['prom-3']);
  });

  it('selector AND hosts AND limit', () => {
    const selected = selectTargets(fleet, {
      selector: 'env=prod',
      hosts: '10.*',
      limitFailed: ['prom-2', 'dev-1', 'alert-1'],
    });
    expect(names(selected)).toEqual(['prom-2', 'alert-1']);
  });

  it('all four', () => {
    const selected = selectTargets(fleet, {
      cluster: 'prod-bj',
      selector: 'role=prometheus',
      hosts: 'prom-*,node-7',
      limitFailed: ['prom-2', 'node-7', 'prom-3'],
    });
    expect(names(selected)).toEqual(['prom-2']);
  });

  it('a host that exists but is filtered out by another flag is not an error', () => {
    expect(selectTargets(fleet, { cluster: 'dev', hosts: 'prom-1' })).toEqual([]);
  });

  it('reports a bad flag even when another flag already leaves nothing to select', () => {
    expect(thrown(() => selectTargets(fleet, { cluster: 'empty', hosts: 'nosuch' }))).toBeInstanceOf(NotFoundError);
    expect(thrown(() => selectTargets([], { selector: 'env in ()' }))).toBeInstanceOf(SelectorError);
  });
});

describe('globToRegExp', () => {
  it.each<[string, string, boolean]>([
    ['prom-*', 'prom-1', true],
    ['prom-*', 'prom-', true],
    ['prom-*', 'xprom-1', false], // anchored at the start
    ['*-1', 'prom-1x', false], // anchored at the end
    ['prom-*', 'PROM-1', false], // case-sensitive
    ['10.0.0.*', '10.0.0.11', true], // '*' crosses dots
    ['10.0.0.*', '10.0.1.11', false],
    ['10.0.0.1?', '10.0.0.11', true],
    ['10.0.0.1?', '10.0.0.1', false], // '?' is exactly one character
    ['10.0.0.1?', '10.0.0.111', false],
    ['a.b', 'axb', false], // '.' is literal
    ['a+b(c)|d^$', 'a+b(c)|d^$', true], // RegExp syntax is literal
    ['a\\b', 'a\\b', true],
    ['node-[abc]', 'node-b', true],
    ['node-[abc]', 'node-d', false],
    ['node-[a-c]', 'node-b', true],
    ['node-[!a-c]', 'node-b', false],
    ['node-[!a-c]', 'node-d', true],
    ['node-[^a-c]', 'node-d', true],
    ['node-[]a]', 'node-]', true], // ']' first in a class is a member
    ['node-[a^]', 'node-^', true],
    ['node-[', 'node-[', true], // unclosed '[' is literal
    ['node-[ab', 'node-a', false],
    ['*', '', true],
  ])('%s vs %s → %s', (glob, text, expected) => {
    expect(globToRegExp(glob).test(text)).toBe(expected);
  });

  it('rejects a reversed range as a usage error', () => {
    expect(() => globToRegExp('node-[9-0]')).toThrow(UsageError);
  });
});
