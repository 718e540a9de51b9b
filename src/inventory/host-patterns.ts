// Ansible host patterns as written in inventories: `web[01:20].example.com`, `db-[a:f]`, `x[1:10:2]`,
// `host:2222`, `[2001:db8::1]:2222`. Follows Ansible's expand_hostname_range, but reports mistakes with the
// offset of the offending range instead of failing on the first one.

import { isIP } from 'node:net';

export interface ExpandedPattern {
  hosts: string[];
  /** The `:port` written after the pattern, if any. */
  port?: number;
}

export interface PatternProblem {
  message: string;
  /** 0-based offset in the pattern where the problem starts. */
  offset: number;
}

/** A typo like [1:100000000] must not exhaust memory; real inventories are far smaller. */
const MAX_EXPANDED_HOSTS = 100_000;
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function expandHostPattern(pattern: string): ExpandedPattern | PatternProblem {
  const bracketedIpv6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(pattern);
  if (bracketedIpv6 !== null && isIP(bracketedIpv6[1] ?? '') === 6) {
    return withPort([bracketedIpv6[1] ?? ''], bracketedIpv6[2]);
  }
  if (isIP(pattern) !== 0) return { hosts: [pattern] };

  const { name, port } = splitPort(pattern);
  const expanded = expandRanges(name, 0);
  if ('message' in expanded) return expanded;
  return withPort(expanded, port);
}

function withPort(hosts: string[], port: string | undefined): ExpandedPattern {
  return port === undefined ? { hosts } : { hosts, port: Number(port) };
}

/** `name:22` -> name + port; a ':' inside a range (`web[1:3]`) is not a port separator. */
function splitPort(pattern: string): { name: string; port?: string } {
  const match = /^(.*):(\d+)$/.exec(pattern);
  if (match === null) return { name: pattern };
  const name = match[1] ?? '';
  const outsideRanges = name.replace(/\[[^\]]*\]/g, '');
  // A ':' left outside the ranges means an IPv6-ish or otherwise odd name; an unclosed '[' is reported later.
  if (outsideRanges.includes(':') || outsideRanges.includes('[')) {
    return { name: pattern };
  }
  return { name, port: match[2] };
}

/** Expands the first `[...]` of `pattern`, then the rest recursively (several ranges multiply). */
function expandRanges(pattern: string, baseOffset: number): string[] | PatternProblem {
  const open = pattern.indexOf('[');
  const strayClose = pattern.indexOf(']');
  if (open === -1) {
    if (strayClose !== -1) return { message: "']' without a matching '['", offset: baseOffset + strayClose };
    return [pattern];
  }
  if (strayClose !== -1 && strayClose < open) {
    return { message: "']' without a matching '['", offset: baseOffset + strayClose };
  }
  const close = pattern.indexOf(']', open);
  if (close === -1) return { message: "host range '[' is never closed with ']'", offset: baseOffset + open };

  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const values = rangeValues(pattern.slice(open + 1, close));
  if (typeof values === 'string') return { message: values, offset: baseOffset + open };

  const tails = expandRanges(tail, baseOffset + close + 1);
  if ('message' in tails) return tails;
  if (values.length * tails.length > MAX_EXPANDED_HOSTS) {
    return { message: `host range expands to more than ${MAX_EXPANDED_HOSTS} hosts`, offset: baseOffset + open };
  }
  const hosts: string[] = [];
  for (const value of values) for (const rest of tails) hosts.push(head + value + rest);
  return hosts;
}

/** The values of one range body like `01:20`, `a:f` or `1:10:2`; a string is the problem with it. */
function rangeValues(body: string): string[] | string {
  const bounds = body.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    return `host range [${body}] must be [start:end] or [start:end:step]`;
  }
  const begin = bounds[0] === '' ? '0' : (bounds[0] ?? '0');
  const end = bounds[1] ?? '';
  const stepText = bounds[2] ?? '1';
  if (end === '') return `host range [${body}] has no end value`;
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
    return `host range [${body}] has step '${stepText}'; it must be a whole number of at least 1`;
  }
  const step = Number(stepText);

  if (/^[A-Za-z]$/.test(begin) && /^[A-Za-z]$/.test(end)) {
    const from = LETTERS.indexOf(begin);
    const to = LETTERS.indexOf(end);
    if (from > to) return `host range [${body}] goes backwards; write the first value first`;
    const letters: string[] = [];
    for (let i = from; i <= to; i += step) letters.push(LETTERS[i] ?? '');
    return letters;
  }

  if (!/^\d+$/.test(begin) || !/^\d+$/.test(end)) {
    return `host range [${body}] must go between two numbers (01:20) or two single letters (a:f)`;
  }
  // A leading zero asks for zero-padded names (web01 ... web20); the end must then be written as wide.
  const padded = begin.length > 1 && begin.startsWith('0');
  if (padded && begin.length !== end.length) {
    return `host range [${body}] is zero-padded, so start and end must have the same number of digits`;
  }
  const from = Number(begin);
  const to = Number(end);
  if (from > to) return `host range [${body}] goes backwards; write the first value first`;
  if ((to - from) / step + 1 > MAX_EXPANDED_HOSTS) return `host range [${body}] has more than ${MAX_EXPANDED_HOSTS} values`;
  const numbers: string[] = [];
  for (let i = from; i <= to; i += step) numbers.push(padded ? String(i).padStart(begin.length, '0') : String(i));
  return numbers;
}
