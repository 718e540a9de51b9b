// Every failure the user can cause is one of these. Only the CLI's top level turns them into an exit code,
// so use cases stay testable and never call process.exit themselves.

export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  denied: 3,
  partial: 4,
  drift: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class PromanagerError extends Error {
  readonly exitCode: ExitCodeValue;
  /** A line telling the user what to do about it, printed after the message. */
  readonly hint?: string;
  constructor(message: string, options: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.error;
    this.hint = options.hint;
  }
}

/** Bad command-line usage: unknown flag, missing argument, malformed selector. Exit 2. */
export class UsageError extends PromanagerError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, hint });
  }
}

/** A role check refused the command. Exit 3. */
export class PermissionDeniedError extends PromanagerError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.denied, hint });
  }
}

/** Something named does not exist (host, cluster, user ...). Exit 1, with suggestions in the hint. */
export class NotFoundError extends PromanagerError {
  constructor(kind: string, name: string, suggestions: string[] = []) {
    super(`${kind} '${name}' not found`, {
      hint: suggestions.length > 0 ? `did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?` : undefined,
    });
  }
}

/**
 * Nothing to do, and that is fine: `--limit @failed` after a run where nothing failed. Exit 0, and the message
 * is shown as information, not as an error, so a CI retry step that finds nothing to retry stays green.
 */
export class NothingToDoError extends PromanagerError {
  constructor(message: string, readonly command: string) {
    super(message, { exitCode: ExitCode.ok });
  }
}

/** A uniqueness rule of the data model would be broken. */
export class ConflictError extends PromanagerError {}

/** One problem found in a file, with its place, so the user can jump straight to it. */
export interface FileProblem {
  file: string;
  line?: number;
  col?: number;
  /** dotted path of the offending field, e.g. clusters.prod.hosts[2].ip */
  path?: string;
  message: string;
}

export function formatProblem(p: FileProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.col ?? 1}` : p.file;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** A file (inventory, state database) that cannot be used as it is. Exit 1 unless told otherwise. */
export class FileProblemError extends PromanagerError {
  readonly problems: FileProblem[];
  constructor(summary: string, problems: FileProblem[], hint?: string) {
    super(`${summary}\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, { hint });
    this.problems = problems;
  }
}

/** Closest candidates by edit distance, for "did you mean" hints. */
export function suggest(input: string, candidates: Iterable<string>, max = 2): string[] {
  const scored: Array<[string, number]> = [];
  for (const c of candidates) {
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    const limit = Math.max(2, Math.floor(Math.max(input.length, c.length) / 3));
    if (d <= limit || c.toLowerCase().startsWith(input.toLowerCase())) scored.push([c, d]);
  }
  return scored.sort((a, b) => a[1] - b[1]).slice(0, max).map(([c]) => c);
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
