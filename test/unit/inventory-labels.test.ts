import { describe, it, expect } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { parseLabelArg, validateLabelKey, validateLabelValue } from '../../src/inventory/labels.js';

describe('validateLabelKey', () => {
  it.each([
    'env',
    'a',
    'Zone_1',
    'node.role',
    'app-name',
    'example.com/role',
    'k8s.io/arch',
    'a-b.c-d.example/x_y.z',
    'x'.repeat(63),
    `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}/name`,
  ])('accepts %s', (key) => {
    expect(validateLabelKey(key)).toBeNull();
  });

  it.each([
    ['', /empty/],
    ['-env', /not valid/],
    ['env-', /not valid/],
    ['_env', /not valid/],
    ['has space', /not valid/],
    ['a:b', /not valid/],
    ['x'.repeat(64), /64 characters.*at most 63/],
    ['/name', /empty prefix/],
    ['example.com/', /nothing after/],
    ['a/b/c', /more than one/],
    ['Example.com/role', /not a DNS subdomain/],
    ['exa_mple.com/role', /not a DNS subdomain/],
    ['example..com/role', /not a DNS subdomain/],
    ['-example.com/role', /not a DNS subdomain/],
    [`${'a'.repeat(254)}/name`, /254 characters.*at most 253/],
    ['example.com/-name', /label key name '-name' is not valid/],
  ])('rejects %j', (key, message) => {
    expect(validateLabelKey(key)).toMatch(message);
  });
});

describe('validateLabelValue', () => {
  it.each(['', 'prod', 'a', '1.10', 'v1_2-3', 'A'.repeat(63)])('accepts %j', (value) => {
    expect(validateLabelValue(value)).toBeNull();
  });

  it.each([
    ['-1', /not valid/],
    ['a b', /not valid/],
    ['prod.', /not valid/],
    ['x/y', /not valid/],
    ['A'.repeat(64), /at most 63/],
  ])('rejects %j', (value, message) => {
    expect(validateLabelValue(value)).toMatch(message);
  });
});

describe('parseLabelArg', () => {
  it('reads k=v', () => {
    expect(parseLabelArg('zone=a')).toEqual({ key: 'zone', value: 'a' });
  });

  it('reads a bare key as the empty value, with or without =', () => {
    expect(parseLabelArg('gpu')).toEqual({ key: 'gpu', value: '' });
    expect(parseLabelArg('gpu=')).toEqual({ key: 'gpu', value: '' });
  });

  it('reads k- as a removal', () => {
    expect(parseLabelArg('gpu-')).toEqual({ remove: 'gpu' });
    expect(parseLabelArg('example.com/role-')).toEqual({ remove: 'example.com/role' });
  });

  it('keeps everything after the first = as the value', () => {
    expect(() => parseLabelArg('a=b=c')).toThrow(/label value 'b=c' is not valid/);
  });

  it.each([
    ['=x', /key before '=' is empty/],
    ['bad key=x', /label key 'bad key' is not valid/],
    ['zone=a b', /label value 'a b' is not valid/],
    ['-', /label key '-' is not valid/],
    ['-x-', /label key '-x' is not valid/],
  ])('refuses %j with a UsageError', (arg, message) => {
    let caught: unknown;
    try {
      parseLabelArg(arg);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toMatch(message);
    expect((caught as UsageError).message).toContain(`invalid label '${arg}'`);
    expect((caught as UsageError).hint).toMatch(/key=value/);
    expect((caught as UsageError).exitCode).toBe(2);
  });
});
