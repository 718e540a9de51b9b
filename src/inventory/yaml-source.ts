// Walking a parsed YAML document while keeping every node's line:col, so the inventory readers can point at the
// exact place of each problem. Shared by the promanager and the Ansible YAML readers.

import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Scalar, YAMLMap } from 'yaml';
import type { SourcePos } from './model.js';
import type { ProblemList } from './problems.js';

export interface YamlSource {
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/**
 * Parses `text`, reporting syntax errors into `problems`. Returns null when there were any: the tree of a broken
 * document is a guess, and checking it would bury the real mistake under follow-on complaints.
 * YAML 1.1 is what Ansible (PyYAML) speaks, so `yes`/`no` are booleans there; promanager's own format is YAML 1.2.
 */
export function parseYamlSource(text: string, problems: ProblemList, version: '1.1' | '1.2'): YamlSource | null {
  const lineCounter = new LineCounter();
  // uniqueKeys off: the readers report duplicate keys themselves, with both places named.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true, version });
  for (const error of doc.errors) {
    problems.add(lineCounter.linePos(error.pos[0]), undefined, `YAML syntax error: ${error.message}`);
  }
  return doc.errors.length > 0 ? null : { doc, lineCounter };
}

export function positionOf(source: YamlSource, node: unknown): SourcePos | undefined {
  const start = isNode(node) ? node.range?.[0] : undefined;
  return start === undefined ? undefined : source.lineCounter.linePos(start);
}

/** Follows `*alias` references to the node they name. */
export function deref(source: YamlSource, node: unknown): unknown {
  return isAlias(node) ? node.resolve(source.doc) : node;
}

/** A human name for the YAML type of a node, for "must be a mapping, not a list" messages. */
export function describeYamlType(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || value === undefined) return 'empty';
    if (typeof value === 'boolean') return 'true/false';
    if (typeof value === 'number' || typeof value === 'bigint') return 'a number';
    if (typeof value === 'string') return 'a string';
  }
  return 'something else';
}

/** A null scalar, or nothing at all (`key:` with no value). */
export function isEmptyValue(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined));
}

/**
 * The text of a scalar as the user wrote it, for names and label values: a number keeps its spelling
 * (`1.10` stays "1.10", not "1.1"), booleans become "true"/"false", null becomes "".
 * Returns undefined for mappings and lists.
 */
export function scalarText(node: unknown): string | undefined {
  if (node === null || node === undefined) return '';
  if (!isScalar(node)) return undefined;
  const value = node.value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return node.source ?? String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

export interface MapEntry {
  key: string;
  keyNode: Scalar;
  /** The value node, aliases followed; null when the key has no value. */
  value: unknown;
  pos: SourcePos | undefined;
  valuePos: SourcePos | undefined;
}

function isMergeKey(node: Scalar): boolean {
  return typeof node.value === 'symbol' && node.source === '<<';
}

/**
 * The entries of a mapping, in order, with `<<: *anchor` merges expanded (explicit keys win over merged ones).
 * Non-scalar keys and duplicate keys are reported, naming the first place of a duplicate.
 */
export function mapEntries(
  source: YamlSource,
  map: YAMLMap,
  path: string,
  problems: ProblemList,
  /** What a key names, for the duplicate message: "duplicate cluster 'prod'" reads better than "duplicate key". */
  keyNoun = 'key',
): MapEntry[] {
  const explicit: MapEntry[] = [];
  const merged: MapEntry[] = [];
  const seen = new Map<string, MapEntry>();
  for (const pair of map.items) {
    const keyNode: unknown = pair.key;
    const keyPos = positionOf(source, isScalar(keyNode) ? keyNode : null) ?? positionOf(source, map);
    if (!isScalar(keyNode)) {
      problems.add(keyPos, path, 'keys must be plain names, not mappings or lists');
      continue;
    }
    if (isMergeKey(keyNode)) {
      merged.push(...mergedEntries(source, pair.value, path, problems));
      continue;
    }
    const key = scalarText(keyNode) ?? '';
    const value = deref(source, pair.value);
    const entry: MapEntry = {
      key,
      keyNode,
      value,
      pos: keyPos,
      valuePos: positionOf(source, pair.value) ?? keyPos,
    };
    const first = seen.get(key);
    if (first !== undefined) {
      const message = `duplicate ${keyNoun} '${key}' (first written at line ${first.pos?.line ?? '?'})`;
      problems.add(keyPos, joinPath(path, key), message);
      continue;
    }
    seen.set(key, entry);
    explicit.push(entry);
  }
  const fromMerges: MapEntry[] = [];
  for (const entry of merged) {
    // The first merge source that has a key wins, and any explicit key beats them all (YAML merge-key rules).
    if (seen.has(entry.key)) continue;
    seen.set(entry.key, entry);
    fromMerges.push(entry);
  }
  return [...fromMerges, ...explicit];
}

function mergedEntries(source: YamlSource, value: unknown, path: string, problems: ProblemList): MapEntry[] {
  const targets = isSeq(value) ? value.items : [value];
  const entries: MapEntry[] = [];
  for (const target of targets) {
    const resolved = deref(source, target);
    if (!isMap(resolved)) {
      problems.add(positionOf(source, target), path, "'<<' must refer to a mapping (e.g. <<: *defaults)");
      continue;
    }
    entries.push(...mapEntries(source, resolved, path, problems));
  }
  return entries;
}

/** `clusters` + `prod` -> `clusters.prod`; the root path is ''. */
export function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Plain JS of a value node, for vars: whatever the user wrote, anchors resolved. */
export function toPlainValue(source: YamlSource, node: unknown): unknown {
  if (node === null || node === undefined) return null;
  const resolved = deref(source, node);
  if (isScalar(resolved) || isMap(resolved) || isSeq(resolved)) {
    return resolved.toJS(source.doc, { maxAliasCount: 10_000 });
  }
  return null;
}
