// Kubernetes-style label selectors (`env=prod,zone in (a,b),!canary`), used by `-l, --selector` on every command
// that targets hosts. Hand-written rather than regex-based so a mistake can be reported at the exact character
// where it went wrong: selectors are typed by hand on the command line and a vague "invalid selector" wastes time.

import { UsageError } from './errors.js';

export type RequirementOp = 'eq' | 'neq' | 'in' | 'notin' | 'exists' | 'notexists';

/** One comma-separated clause of a selector; a host matches a selector when it satisfies every requirement. */
export type Requirement = { key: string; op: RequirementOp; values: string[] };

const SYNTAX_HINT =
  "selector syntax: key=value, key==value, key!=value, key in (a,b), key notin (a,b), key, !key; join with ','";

/** A malformed selector. Exit 2 like every usage error; the message points at the offending character. */
export class SelectorError extends UsageError {
  /** The selector as the user typed it. */
  readonly expression: string;
  /** 1-based character position of the problem (expression.length + 1 when the selector ended too early). */
  readonly position: number;
  /** What was wrong, without the position and caret decoration. */
  readonly reason: string;

  constructor(expression: string, offset: number, reason: string) {
    super(`malformed selector at position ${offset + 1}: ${reason}\n${caretDiagram(expression, offset)}`, SYNTAX_HINT);
    this.expression = expression;
    this.position = offset + 1;
    this.reason = reason;
  }
}

/** The expression on one line and a caret under `offset`, both indented to stand out under the message. */
function caretDiagram(expression: string, offset: number): string {
  // Line breaks would tear the diagram apart, so show them as spaces; tabs are kept in the padding so the
  // caret still lines up with the character the terminal displays above it.
  const shown = expression.replace(/[\r\n]/g, ' ');
  const padding = Array.from(shown.slice(0, offset), (ch) => (ch === '\t' ? '\t' : ' ')).join('');
  return `  ${shown}\n  ${padding}^`;
}

// ---------------------------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'word' | 'equals' | 'doubleEquals' | 'notEquals' | 'bang' | 'openParen' | 'closeParen' | 'comma' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based offset of the first character in the expression. */
  start: number;
}

/** Characters that end a word. Everything else that is not whitespace belongs to a word and is validated later,
 *  so `en$v=prod` is reported as "invalid character '$' in label key" rather than as a stray symbol. */
const DELIMITERS = new Set(['=', '!', '(', ')', ',']);

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const ch = expression[i]!;
    if (isWhitespace(ch)) {
      i++;
      continue;
    }
    const start = i;
    const next = expression[i + 1];
    if (ch === '=' && next === '=') {
      tokens.push({ kind: 'doubleEquals', text: '==', start });
      i += 2;
    } else if (ch === '!' && next === '=') {
      tokens.push({ kind: 'notEquals', text: '!=', start });
      i += 2;
    } else if (ch === '=') {
      tokens.push({ kind: 'equals', text: '=', start });
      i++;
    } else if (ch === '!') {
      tokens.push({ kind: 'bang', text: '!', start });
      i++;
    } else if (ch === '(') {
      tokens.push({ kind: 'openParen', text: '(', start });
      i++;
    } else if (ch === ')') {
      tokens.push({ kind: 'closeParen', text: ')', start });
      i++;
    } else if (ch === ',') {
      tokens.push({ kind: 'comma', text: ',', start });
      i++;
    } else {
      while (i < expression.length && !isWhitespace(expression[i]!) && !DELIMITERS.has(expression[i]!)) i++;
      tokens.push({ kind: 'word', text: expression.slice(start, i), start });
    }
  }
  tokens.push({ kind: 'end', text: '', start: expression.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------------
// Label key and value rules (Kubernetes): a key is `[prefix/]name`, a value is letters, digits, '-', '_', '.'.

const KEY_CHAR = /[A-Za-z0-9._/-]/;
const VALUE_CHAR = /[A-Za-z0-9._-]/;

// Only the character rules are checked here. The full Kubernetes rules (lengths, alphanumeric ends, DNS prefix)
// belong to the label writers (src/inventory/labels.ts): every label they accept is selectable, and a selector
// naming a label that could never be written simply matches nothing.

/** Where and why `key` cannot be a label key, or undefined when it can. */
function findLabelKeyProblem(key: string): { offset: number; reason: string } | undefined {
  if (key === '') return { offset: 0, reason: 'label key is empty' };
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    if (!KEY_CHAR.test(ch)) {
      return {
        offset: i,
        reason: `invalid character '${ch}' in label key '${key}' (keys may contain letters, digits, '-', '_', '.' and one '/')`,
      };
    }
  }
  const firstSlash = key.indexOf('/');
  if (firstSlash !== -1) {
    const secondSlash = key.indexOf('/', firstSlash + 1);
    if (secondSlash !== -1) return { offset: secondSlash, reason: `label key '${key}' has more than one '/'` };
    if (firstSlash === 0) return { offset: 0, reason: `label key '${key}' has an empty prefix before '/'` };
    if (firstSlash === key.length - 1) {
      return { offset: firstSlash, reason: `label key '${key}' has an empty name after '/'` };
    }
  }
  return undefined;
}

/** Where and why `value` cannot be a label value, or undefined when it can (the empty value can). */
function findLabelValueProblem(value: string): { offset: number; reason: string } | undefined {
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (!VALUE_CHAR.test(ch)) {
      const globNote = ch === '*' || ch === '?' ? '; selectors match values exactly, without wildcards' : '';
      return {
        offset: i,
        reason: `invalid character '${ch}' in label value '${value}' (values may contain letters, digits, '-', '_' and '.'${globNote})`,
      };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Parser
//
//   selector    := requirement (',' requirement)* END
//   requirement := '!' KEY
//                | KEY [ ('=' | '==' | '!=') VALUE? | ('in' | 'notin') '(' VALUE (',' VALUE)* ')' ]
//
// A missing VALUE after '=', '==' or '!=' means the empty value, which is how bare labels (`gpu: ""`) are matched.

function describe(token: Token): string {
  return token.kind === 'end' ? 'end of selector' : `'${token.text}'`;
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly expression: string) {
    this.tokens = tokenize(expression);
  }

  parse(): Requirement[] {
    if (this.peek().kind === 'end') this.fail(this.peek(), 'empty selector: give at least one requirement, e.g. env=prod');
    const requirements = [this.requirement()];
    while (this.peek().kind === 'comma') {
      this.take();
      requirements.push(this.requirement());
    }
    const after = this.peek();
    if (after.kind !== 'end') {
      const reason =
        after.kind === 'word'
          ? `expected ',' between requirements, found ${describe(after)}`
          : `expected ',' or end of selector, found ${describe(after)}`;
      this.fail(after, reason);
    }
    return requirements;
  }

  private requirement(): Requirement {
    const first = this.peek();
    if (first.kind === 'bang') {
      this.take();
      const key = this.key(`expected a label key after '!'`);
      const after = this.peek();
      if (after.kind !== 'comma' && after.kind !== 'end') {
        this.fail(after, `'!${key}' only tests that the label is absent: expected ',' or end of selector, found ${describe(after)}`);
      }
      return { key, op: 'notexists', values: [] };
    }
    if (first.kind !== 'word') {
      let reason: string;
      if (first.kind === 'end') reason = "expected a label key after ',' (trailing comma?)";
      else if (first.kind === 'comma') reason = "expected a label key before ','";
      else if (first.kind === 'equals' || first.kind === 'doubleEquals' || first.kind === 'notEquals') {
        reason = `expected a label key before ${describe(first)}`;
      } else reason = `expected a label key, found ${describe(first)}`;
      this.fail(first, reason);
    }
    const key = this.key('expected a label key');
    const opToken = this.peek();
    switch (opToken.kind) {
      case 'comma':
      case 'end':
        return { key, op: 'exists', values: [] };
      case 'equals':
      case 'doubleEquals':
        this.take();
        return { key, op: 'eq', values: [this.singleValue(opToken)] };
      case 'notEquals':
        this.take();
        return { key, op: 'neq', values: [this.singleValue(opToken)] };
      case 'word':
        if (opToken.text === 'in' || opToken.text === 'notin') {
          this.take();
          return { key, op: opToken.text, values: this.valueList(opToken) };
        }
        break;
      default:
        break;
    }
    const didYouMean = opToken.kind === 'bang' ? " (did you mean '!='?)" : '';
    return this.fail(
      opToken,
      `expected '=', '==', '!=', 'in', 'notin', ',' or end of selector after label key '${key}', found ${describe(opToken)}${didYouMean}`,
    );
  }

  private key(expectation: string): string {
    const token = this.peek();
    if (token.kind !== 'word') this.fail(token, `${expectation}, found ${describe(token)}`);
    this.take();
    const problem = findLabelKeyProblem(token.text);
    if (problem) this.failAt(token.start + problem.offset, problem.reason);
    return token.text;
  }

  /** The value after '=', '==' or '!='; absent means "", so `gpu=` selects the bare label `gpu`. */
  private singleValue(operator: Token): string {
    const token = this.peek();
    if (token.kind === 'comma' || token.kind === 'end') return '';
    if (token.kind !== 'word') this.fail(token, `expected a value after '${operator.text}', found ${describe(token)}`);
    return this.value(token);
  }

  private valueList(operator: Token): string[] {
    const open = this.peek();
    if (open.kind !== 'openParen') this.fail(open, `expected '(' after '${operator.text}'`);
    this.take();
    const unclosed = `unclosed '(' at position ${open.start + 1}: expected ')'`;
    if (this.peek().kind === 'closeParen') {
      this.fail(this.peek(), `empty value list: '${operator.text}' needs at least one value, e.g. ${operator.text} (a,b)`);
    }
    const values: string[] = [];
    while (true) {
      const token = this.peek();
      if (token.kind === 'end') this.fail(token, unclosed);
      if (token.kind === 'comma' || token.kind === 'closeParen') {
        // Kubernetes would read `(a,,b)` as containing "", but here it is far more likely a typo; `key=` and
        // `key in (...)` together still express "bare or one of".
        this.fail(token, `empty value in the list after '${operator.text}'`);
      }
      if (token.kind !== 'word') this.fail(token, `expected a value in the list after '${operator.text}', found ${describe(token)}`);
      values.push(this.value(token));
      const separator = this.peek();
      if (separator.kind === 'closeParen') {
        this.take();
        return values;
      }
      if (separator.kind === 'end') this.fail(separator, unclosed);
      if (separator.kind !== 'comma') this.fail(separator, `expected ',' or ')' in the value list, found ${describe(separator)}`);
      this.take();
    }
  }

  private value(token: Token): string {
    this.take();
    const problem = findLabelValueProblem(token.text);
    if (problem) this.failAt(token.start + problem.offset, problem.reason);
    return token.text;
  }

  private peek(): Token {
    // The token list always ends with an 'end' token and the parser never advances past it.
    return this.tokens[this.index]!;
  }

  private take(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private fail(token: Token, reason: string): never {
    return this.failAt(token.start, reason);
  }

  private failAt(offset: number, reason: string): never {
    throw new SelectorError(this.expression, offset, reason);
  }
}

/** Parses a label selector; throws SelectorError (a UsageError, exit 2) pointing at the first mistake. */
export function parseSelector(expr: string): Requirement[] {
  return new Parser(expr).parse();
}

// ---------------------------------------------------------------------------------------------------------------
// Matching and formatting

/** Kubernetes semantics: every requirement must hold; `!=` and `notin` also hold when the label is absent. */
export function matchesSelector(labels: Record<string, string>, reqs: Requirement[]): boolean {
  return reqs.every((req) => matchesRequirement(labels, req));
}

function matchesRequirement(labels: Record<string, string>, req: Requirement): boolean {
  // Object.hasOwn, not `in` or a truthiness test: a label named `constructor` must not be found on the prototype,
  // and a bare label's value is "" which is falsy.
  const value = Object.hasOwn(labels, req.key) ? labels[req.key] : undefined;
  const present = value !== undefined;
  switch (req.op) {
    case 'exists':
      return present;
    case 'notexists':
      return !present;
    case 'eq':
      return present && value === req.values[0];
    case 'neq':
      return !present || value !== req.values[0];
    case 'in':
      return present && req.values.includes(value);
    case 'notin':
      return !present || !req.values.includes(value);
  }
}

/** The canonical text of a selector; parseSelector(formatSelector(r)) gives r back. */
export function formatSelector(reqs: Requirement[]): string {
  return reqs.map(formatRequirement).join(',');
}

function formatRequirement(req: Requirement): string {
  switch (req.op) {
    case 'exists':
      return req.key;
    case 'notexists':
      return `!${req.key}`;
    case 'eq':
      return `${req.key}=${req.values[0] ?? ''}`;
    case 'neq':
      return `${req.key}!=${req.values[0] ?? ''}`;
    case 'in':
    case 'notin':
      return `${req.key} ${req.op} (${req.values.join(',')})`;
  }
}
