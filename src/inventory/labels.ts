// Kubernetes-style label rules, shared by the inventory readers, `host label` and `host add --label`.
// The rules are Kubernetes' own so that selectors written for promanager read the same as kubectl's.

import { UsageError } from '../core/errors.js';

const MAX_PREFIX_LENGTH = 253;
const MAX_NAME_LENGTH = 63;

/** [A-Za-z0-9] at both ends, [-_.A-Za-z0-9] inside: the "name" part of a key, and every non-empty value. */
const NAME_PATTERN = /^[A-Za-z0-9](?:[-_.A-Za-z0-9]*[A-Za-z0-9])?$/;
/** One dot-separated piece of a DNS subdomain (RFC 1123, lower case). */
const DNS_LABEL_PATTERN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

function describeNameProblem(what: string, name: string): string | null {
  if (name.length > MAX_NAME_LENGTH) {
    return `${what} '${name}' is ${name.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`;
  }
  if (!NAME_PATTERN.test(name)) {
    return (
      `${what} '${name}' is not valid: use letters, digits, '-', '_' and '.', ` +
      `starting and ending with a letter or digit`
    );
  }
  return null;
}

function describePrefixProblem(key: string, prefix: string): string | null {
  if (prefix.length === 0) return `label key '${key}' has an empty prefix before '/'`;
  if (prefix.length > MAX_PREFIX_LENGTH) {
    return `label key prefix '${prefix}' is ${prefix.length} characters long; at most ${MAX_PREFIX_LENGTH} are allowed`;
  }
  const badPiece = prefix.split('.').find((piece) => piece.length > MAX_NAME_LENGTH || !DNS_LABEL_PATTERN.test(piece));
  if (badPiece !== undefined) {
    return (
      `label key prefix '${prefix}' is not a DNS subdomain: use lower-case letters, digits, '-' and '.', ` +
      `each dot-separated part starting and ending with a letter or digit`
    );
  }
  return null;
}

/** Returns why `key` is not a valid label key, or null when it is. */
export function validateLabelKey(key: string): string | null {
  if (key.length === 0) return 'label key is empty';
  const slash = key.indexOf('/');
  if (slash === -1) return describeNameProblem('label key', key);
  const prefix = key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (name.includes('/')) return `label key '${key}' has more than one '/'`;
  if (name.length === 0) return `label key '${key}' has nothing after '/'`;
  return describePrefixProblem(key, prefix) ?? describeNameProblem('label key name', name);
}

/** Returns why `value` is not a valid label value, or null when it is. The empty value is a bare label. */
export function validateLabelValue(value: string): string | null {
  if (value.length === 0) return null;
  return describeNameProblem('label value', value);
}

export type LabelArg = { key: string; value: string } | { remove: string };

/**
 * Reads one label argument of `host label` / `host add --label`:
 * `k=v` sets k to v, `k` (or `k=`) sets the bare label k, `k-` removes k.
 */
export function parseLabelArg(arg: string): LabelArg {
  const equals = arg.indexOf('=');
  if (equals === -1 && arg.endsWith('-') && arg.length > 1) {
    const key = arg.slice(0, -1);
    throwIfInvalid(arg, validateLabelKey(key));
    return { remove: key };
  }
  const key = equals === -1 ? arg : arg.slice(0, equals);
  const value = equals === -1 ? '' : arg.slice(equals + 1);
  if (key.length === 0) {
    throw new UsageError(`invalid label '${arg}': the key before '=' is empty`, LABEL_ARG_HINT);
  }
  throwIfInvalid(arg, validateLabelKey(key));
  throwIfInvalid(arg, validateLabelValue(value));
  return { key, value };
}

const LABEL_ARG_HINT = "write labels as key=value, a bare key (e.g. gpu), or key- to remove one (e.g. gpu-)";

function throwIfInvalid(arg: string, problem: string | null): void {
  if (problem !== null) throw new UsageError(`invalid label '${arg}': ${problem}`, LABEL_ARG_HINT);
}
