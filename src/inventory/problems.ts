// Problems found in an inventory file are collected, not thrown one by one: the user fixes them all in one go.

import { FileProblemError } from '../core/errors.js';
import type { FileProblem } from '../core/errors.js';
import type { SourcePos } from './model.js';

/** Collects the problems of one file; readers report everything they find, then throw once. */
export class ProblemList {
  readonly items: FileProblem[] = [];
  private readonly reported = new Set<string>();
  constructor(readonly file: string) {}

  add(pos: SourcePos | undefined, path: string | undefined, message: string): void {
    // A mapping reached both directly and through an alias would otherwise be reported twice.
    const identity = `${pos?.line}:${pos?.col}:${message}`;
    if (this.reported.has(identity)) return;
    this.reported.add(identity);
    const problem: FileProblem = { file: this.file, message };
    if (pos !== undefined) {
      problem.line = pos.line;
      problem.col = pos.col;
    }
    if (path !== undefined && path !== '') problem.path = path;
    this.items.push(problem);
  }

  get isEmpty(): boolean {
    return this.items.length === 0;
  }
}

/** Throws one FileProblemError listing every problem, if there are any. */
export function throwIfProblems(problems: ProblemList): void {
  if (problems.isEmpty) return;
  const count = problems.items.length;
  throw new FileProblemError(`inventory ${problems.file} has ${count} problem${count === 1 ? '' : 's'}`, problems.items);
}
