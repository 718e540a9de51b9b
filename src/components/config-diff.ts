// Unified diffs (the `diff -u` format) between what is on a host and what a push would put there. Config
// files are small, so a plain longest-common-subsequence table is fast enough and keeps this dependency-free.
import type { ConfigFile } from './config-model.js';

type Op = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function editScript(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i]! });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ kind: '-', line: a[i++]! }); // removals before additions, as diff -u shows them
    } else {
      ops.push({ kind: '+', line: b[j++]! });
    }
  }
  return ops;
}

/** `--- a` / `+++ b` and hunks with `context` lines around each change; '' when the texts are equal. */
export function unifiedDiff(before: string, after: string, fromName: string, toName: string, context = 3): string {
  if (before === after) return '';
  const ops = editScript(splitLines(before), splitLines(after));
  const changed = ops.map((o, k) => (o.kind !== ' ' ? k : -1)).filter((k) => k >= 0);
  const out = [`--- ${fromName}`, `+++ ${toName}`];
  let start = 0;
  while (start < changed.length) {
    // grow a hunk while the next change is within 2*context lines of the previous one
    let end = start;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! - 1 <= 2 * context) end++;
    const from = Math.max(0, changed[start]! - context);
    const to = Math.min(ops.length - 1, changed[end]! + context);
    let aLine = 1;
    let bLine = 1;
    for (let k = 0; k < from; k++) {
      if (ops[k]!.kind !== '+') aLine++;
      if (ops[k]!.kind !== '-') bLine++;
    }
    const hunk = ops.slice(from, to + 1);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aCount === 0 ? aLine - 1 : aLine},${aCount} +${bCount === 0 ? bLine - 1 : bLine},${bCount} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    start = end + 1;
  }
  return `${out.join('\n')}\n`;
}

export interface BundleDiff {
  /** paths whose content would change or that would be created */
  changed: string[];
  /** managed paths the bundle no longer has: a push deletes them */
  pruned: string[];
  text: string;
}

/** `current` maps paths to their content on the host (null: absent); `managed` is the host's manifest. */
export function diffBundle(files: ConfigFile[], current: Record<string, string | null>, managed: string[], label: string): BundleDiff {
  const wanted = new Set(files.map((f) => f.path));
  const changed: string[] = [];
  const parts: string[] = [];
  for (const f of files) {
    const before = current[f.path] ?? null;
    if (before === f.content) continue;
    changed.push(f.path);
    parts.push(unifiedDiff(before ?? '', f.content, before === null ? '/dev/null' : `${label}:${f.path}`, `${label}:${f.path}`));
  }
  const pruned = managed.filter((p) => !wanted.has(p)).sort();
  for (const p of pruned) parts.push(unifiedDiff(current[p] ?? '', '', `${label}:${p}`, '/dev/null') || `--- ${label}:${p}\n+++ /dev/null\n`);
  return { changed, pruned, text: parts.join('') };
}
