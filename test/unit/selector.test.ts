import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/core/errors.js';
import {
  SelectorError,
  formatSelector,
  matchesSelector,
  parseSelector,
  type Requirement,
} from '../../src/core/selector.js';

/** Runs parseSelector and returns the SelectorError it must throw. */
function selectorError(expr: string): SelectorError {
  try {
    parseSelector(expr);
  } catch (error) {
    if (error instanceof SelectorError) return error;
    throw error;
  }
  throw new Error(`expected '${expr}' to be rejected`);
}

describe('parseSelector: operators', () => {
  it.each<[string, Requirement[]]>([
    ['env=prod', [{ key: 'env', op: 'eq', values: ['prod'] }]],
    ['env==prod', [{ key: 'env', op: 'eq', values: ['prod'] }]],
    ['env!=prod', [{ key: 'env', op: 'neq', values: ['prod'] }]],
    ['zone in (a,b)', [{ key: 'zone', op: 'in', values: ['a', 'b'] }]],
    ['zone notin (a,b)', [{ key: 'zone', op: 'notin', values: ['a', 'b'] }]],
    ['zone in (a)', [{ key: 'zone', op: 'in', values: ['a'] }]],
    ['gpu', [{ key: 'gpu', op: 'exists', values: [] }]],
    ['!gpu', [{ key: 'gpu', op: 'notexists', values: [] }]],
    ['gpu=', [{ key: 'gpu', op: 'eq', values: [''] }]],
    ['gpu==', [{ key: 'gpu', op: 'eq', values: [''] }]],
    ['gpu!=', [{ key: 'gpu', op: 'neq', values: [''] }]],
  ])('%s', (expr, expected) => {
    expect(parseSelector(expr)).toEqual(expected);
  });

  it('accepts keys with a prefix and the characters / . - _', () => {
    expect(parseSelector('example.com/team-a_b.c=x-1_2.3')).toEqual([
      { key: 'example.com/team-a_b.c', op: 'eq', values: ['x-1_2.3'] },
    ]);
  });

  it('reads in/notin as operators only after a key, so they can be keys and values too', () => {
    expect(parseSelector('in in (in,notin),notin')).toEqual([
      { key: 'in', op: 'in', values: ['in', 'notin'] },
      { key: 'notin', op: 'exists', values: [] },
    ]);
  });
});

describe('parseSelector: commas and whitespace', () => {
  it('joins requirements with commas, in order', () => {
    expect(parseSelector('env=prod,zone in (a,b),!canary,gpu,role!=db')).toEqual([
      { key: 'env', op: 'eq', values: ['prod'] },
      { key: 'zone', op: 'in', values: ['a', 'b'] },
      { key: 'canary', op: 'notexists', values: [] },
      { key: 'gpu', op: 'exists', values: [] },
      { key: 'role', op: 'neq', values: ['db'] },
    ]);
  });

  it('a comma ends a value: `a=b,c` is two requirements, and `gpu=,x` gives gpu the empty value', () => {
    expect(parseSelector('a=b,c')).toEqual([
      { key: 'a', op: 'eq', values: ['b'] },
      { key: 'c', op: 'exists', values: [] },
    ]);
    expect(parseSelector('gpu=,x')).toEqual([
      { key: 'gpu', op: 'eq', values: [''] },
      { key: 'x', op: 'exists', values: [] },
    ]);
  });

  it('a comma inside parentheses separates values, not requirements', () => {
    expect(parseSelector('zone in (a,b),env=prod')).toEqual([
      { key: 'zone', op: 'in', values: ['a', 'b'] },
      { key: 'env', op: 'eq', values: ['prod'] },
    ]);
  });

  it('allows whitespace around every token', () => {
    const spaced = parseSelector('  env = prod ,\tzone in ( a , b ) , ! canary , gpu != , role notin(db)  ');
    expect(spaced).toEqual(parseSelector('env=prod,zone in (a,b),!canary,gpu!=,role notin (db)'));
  });

  it('needs no whitespace around parentheses', () => {
    expect(parseSelector('zone in(a,b)')).toEqual([{ key: 'zone', op: 'in', values: ['a', 'b'] }]);
  });
});

describe('parseSelector: errors point at the mistake', () => {
  it.each<[string, string, number, string]>([
    // [case, expression, 1-based position, part of the reason]
    ['empty expression', '', 1, 'empty selector'],
    ['blank expression', '   ', 4, 'empty selector'],
    ['trailing comma', 'env=prod,', 10, "expected a label key after ','"],
    ['leading comma', ',env=prod', 1, "expected a label key before ','"],
    ['double comma', 'env=prod,,zone=a', 10, "expected a label key before ','"],
    ['unclosed paren', 'zone in (a,b', 13, "unclosed '(' at position 9: expected ')'"],
    ['unclosed paren after one value', 'zone in (a', 11, "unclosed '(' at position 9"],
    ['unclosed paren, nothing inside', 'zone in (', 10, "unclosed '(' at position 9"],
    ['empty in ()', 'zone in ()', 10, "empty value list: 'in' needs at least one value"],
    ['empty notin ()', 'zone notin ( )', 14, "empty value list: 'notin' needs at least one value"],
    ['empty value inside a list', 'zone in (a,,b)', 12, 'empty value in the list'],
    ['trailing comma inside a list', 'zone in (a,)', 12, 'empty value in the list'],
    ['missing comma inside a list', 'zone in (a b)', 12, "expected ',' or ')' in the value list, found 'b'"],
    ['in without (', 'zone in a,b', 9, "expected '(' after 'in'"],
    ['in at the end', 'zone in', 8, "expected '(' after 'in'"],
    ['! alone', '!', 2, "expected a label key after '!', found end of selector"],
    ['! before a comma', '!,env=prod', 2, "expected a label key after '!', found ','"],
    ['! at the end', 'env=prod,!', 11, "expected a label key after '!'"],
    ['!! doubled', '!!env', 2, "expected a label key after '!', found '!'"],
    ['!key with a value', '!env=prod', 5, "'!env' only tests that the label is absent"],
    ['= without key', '=prod', 1, "expected a label key before '='"],
    ['== without key', 'env=prod,==prod', 10, "expected a label key before '=='"],
    ['!= without key', '!=prod', 1, "expected a label key before '!='"],
    ['double operator ==!', 'env==!prod', 6, "expected a value after '==', found '!'"],
    ['double operator =!=', 'env=!=prod', 5, "expected a value after '=', found '!='"],
    ['triple =', 'env===prod', 6, "expected a value after '==', found '='"],
    ['! instead of !=', 'env!prod', 4, "did you mean '!='?"],
    ['invalid character in a key', 'en$v=prod', 3, "invalid character '$' in label key 'en$v'"],
    ['invalid character in a later key', 'env=prod,zo*ne', 12, "invalid character '*' in label key 'zo*ne'"],
    ['non-ASCII key', 'zöne=a', 2, "invalid character 'ö' in label key"],
    ['two slashes in a key', 'a/b/c=x', 4, "label key 'a/b/c' has more than one '/'"],
    ['empty key prefix', '/env=x', 1, 'empty prefix'],
    ['empty key name', 'example.com/=x', 12, 'empty name'],
    ['invalid character in a value', 'role=prom*', 10, 'without wildcards'],
    ['invalid character in a listed value', 'zone in (a,b:c)', 13, "invalid character ':' in label value 'b:c'"],
    ['two words', 'env prod', 5, "after label key 'env', found 'prod'"],
    ['missing comma between requirements', 'env=a zone=b', 7, "expected ',' between requirements, found 'zone'"],
    ['stray closing paren', 'env=prod)', 9, "expected ',' or end of selector, found ')'"],
    ['opening paren instead of a key', '(env)', 1, "expected a label key, found '('"],
    ['parenthesis right after a key', 'zone(a)', 5, "found '('"],
  ])('%s: %j', (_case, expr, position, reason) => {
    const error = selectorError(expr);
    expect(error.position).toBe(position);
    expect(error.reason).toContain(reason);
    expect(error.message).toMatch(new RegExp(`^malformed selector at position ${position}: `));
    // The caret sits under the reported character (position is 1-based, the diagram is indented by two).
    const [, shown, caretLine] = error.message.split('\n');
    expect(shown).toBe(`  ${expr}`);
    expect(caretLine).toBe(`  ${' '.repeat(position - 1)}^`);
  });

  it('renders the message with the expression and a caret under the problem', () => {
    const error = selectorError('env=prod,zone in a,b');
    expect(error.message).toBe(
      [
        "malformed selector at position 18: expected '(' after 'in'",
        '  env=prod,zone in a,b',
        '                   ^',
      ].join('\n'),
    );
  });

  it('keeps tabs in the caret padding so the caret lines up on a terminal', () => {
    const error = selectorError('env=prod,\tzone in a');
    expect(error.position).toBe(19);
    expect(error.message.split('\n')[2]).toBe(`  ${' '.repeat(9)}\t${' '.repeat(8)}^`);
  });

  it('is a UsageError with exit code 2 and a syntax hint', () => {
    const error = selectorError('env==!prod');
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.name).toBe('SelectorError');
    expect(error.hint).toContain('key in (a,b)');
    expect(error.expression).toBe('env==!prod');
  });
});

describe('matchesSelector', () => {
  const labels = { env: 'prod', zone: 'a', gpu: '', 'example.com/team': 'obs' };

  it.each<[string, boolean]>([
    // equality
    ['env=prod', true],
    ['env==prod', true],
    ['env=dev', false],
    ['missing=prod', false],
    // inequality holds when the label is absent
    ['env!=dev', true],
    ['env!=prod', false],
    ['missing!=prod', true],
    // set membership; notin holds when the label is absent
    ['zone in (a,b)', true],
    ['zone in (b,c)', false],
    ['missing in (a,b)', false],
    ['zone notin (b,c)', true],
    ['zone notin (a,b)', false],
    ['missing notin (a,b)', true],
    // existence, including bare labels whose value is ""
    ['gpu', true],
    ['missing', false],
    ['!gpu', false],
    ['!missing', true],
    ['gpu=', true],
    ['gpu!=', false],
    ['env=', false],
    ['env!=', true],
    ['missing=', false],
    ['missing!=', true],
    ['gpu=yes', false],
    ['gpu!=yes', true],
    // prefixed keys
    ['example.com/team=obs', true],
    ['example.com/team', true],
    // AND
    ['env=prod,zone in (a,b),gpu,!canary', true],
    ['env=prod,zone=b', false],
    ['zone=b,env=prod', false],
  ])('%s → %s', (expr, expected) => {
    expect(matchesSelector(labels, parseSelector(expr))).toBe(expected);
  });

  it('does not find labels on the object prototype', () => {
    expect(matchesSelector({}, parseSelector('constructor'))).toBe(false);
    expect(matchesSelector({}, parseSelector('!toString'))).toBe(true);
    expect(matchesSelector({}, parseSelector('constructor!=x'))).toBe(true);
  });

  it('matches everything with no requirements', () => {
    expect(matchesSelector({}, [])).toBe(true);
  });

  it('compares values case-sensitively', () => {
    expect(matchesSelector({ env: 'Prod' }, parseSelector('env=prod'))).toBe(false);
  });
});

describe('formatSelector', () => {
  it('writes the canonical form', () => {
    expect(formatSelector(parseSelector(' env == prod , zone  notin ( a , b ) ,!canary, gpu , x!= '))).toBe(
      'env=prod,zone notin (a,b),!canary,gpu,x!=',
    );
  });

  it.each(['env=prod', 'env!=prod', 'gpu=', 'gpu!=', 'zone in (a,b,c)', 'zone notin (a)', 'gpu', '!gpu', 'a/b=c,d in (e)'])(
    'round-trips %s',
    (expr) => {
      const parsed = parseSelector(expr);
      expect(formatSelector(parsed)).toBe(expr);
      expect(parseSelector(formatSelector(parsed))).toEqual(parsed);
    },
  );
});

describe('performance', () => {
  it('parses and matches a selector against 1,000 hosts in under 20 ms', () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => ({
      env: i % 2 === 0 ? 'prod' : 'dev',
      zone: ['a', 'b', 'c'][i % 3]!,
      role: i % 5 === 0 ? 'db' : 'prometheus',
      ...(i % 7 === 0 ? { canary: '' } : {}),
    }));
    const expr = 'env=prod,zone in (a,b),role!=db,!canary';
    const run = (): number => {
      const reqs = parseSelector(expr);
      return hosts.filter((labels) => matchesSelector(labels, reqs)).length;
    };
    run(); // warm up so the measurement is of the code, not of the JIT compiling it

    const started = performance.now();
    const matched = run();
    const elapsed = performance.now() - started;

    expect(matched).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(20);
  });
});
