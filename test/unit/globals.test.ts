import { describe, expect, it } from 'vitest';
import { splitGlobalOptions } from '../../src/cli/globals.js';
import { UsageError } from '../../src/core/errors.js';
import { shellJoin, shellQuote } from '../../src/remote/quote.js';

describe('global options', () => {
  it('lifts globals from anywhere before --', () => {
    const a = splitGlobalOptions(['--json', 'host', 'list', '-f', '7', '--home=/x'], {});
    expect(a.rest).toEqual(['host', 'list']);
    expect(a.globals).toMatchObject({ json: true, forks: 7, home: '/x' });
    const b = splitGlobalOptions(['exec', '--hosts', 'a', '--', 'ls', '--json', '-y'], {});
    expect(b.rest).toEqual(['exec', '--hosts', 'a', '--', 'ls', '--json', '-y']);
    expect(b.globals.json).toBe(false);
  });
  it('takes environment twins and lets flags win', () => {
    const g = splitGlobalOptions(['--forks', '3'], { PROMANAGER_FORKS: '9', PROMANAGER_HOME: '/h', PROMANAGER_DEBUG: '1' }).globals;
    expect(g).toMatchObject({ forks: 3, home: '/h', debug: true });
  });
  it('rejects bad values as usage errors', () => {
    expect(() => splitGlobalOptions(['--forks', 'x'], {})).toThrow(UsageError);
    expect(() => splitGlobalOptions(['--timeout'], {})).toThrow(/needs a value/);
    expect(() => splitGlobalOptions(['--json=1'], {})).toThrow(/takes no value/);
  });
});

describe('shell quoting', () => {
  it('quotes only what needs it, and survives any string', () => {
    expect(shellQuote('abc-1.2/x')).toBe('abc-1.2/x');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
    expect(shellJoin(['echo', 'a b', '$x'])).toBe("echo 'a b' '$x'");
  });
});
