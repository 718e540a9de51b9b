// Ansible's INI inventory syntax, read the way Ansible's own ini plugin reads it: `[group]` sections of host
// lines (`host key=value key2="quoted value"`), `[group:vars]` of key=value lines, `[group:children]` of group
// names, `#` and `;` comments. Values are typed like Python literals (22 is a number, "22" after unquoting too).

import { expandHostPattern } from './host-patterns.js';
import type { AnsibleInventoryBuilder } from './ansible-model.js';
import type { ProblemList } from './problems.js';

type SectionKind = 'hosts' | 'vars' | 'children';

interface Section {
  group: string;
  kind: SectionKind;
  /** How the section is named in problem paths, e.g. `[web:vars]`. */
  label: string;
}

/** Ansible's own section pattern: a name without ':', ']' or spaces, then optionally `:vars` or `:children`. */
const SECTION_HEADER = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;
const BRACKETED_IPV6_HOST = /^\[[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\](?::\d+)?(?:\s|$)/;
const CHILD_LINE = /^([^:\]\s#;]+)\s*(?:[#;].*)?$/;

export function parseAnsibleIni(text: string, builder: AnsibleInventoryBuilder, problems: ProblemList): void {
  // Lines before the first section are hosts of the implicit `ungrouped` group, as in Ansible.
  let section: Section = { group: 'ungrouped', kind: 'hosts', label: '' };
  const varsSections: Array<{ group: string; line: number; col: number; label: string }> = [];
  const definedGroups = new Set(['all', 'ungrouped']);
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? '';
    const lineNumber = index + 1;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const at = (offset: number): { line: number; col: number } => ({ line: lineNumber, col: indent + offset + 1 });

    if (line.startsWith('[')) {
      const header = SECTION_HEADER.exec(line);
      const kind = header?.[2] ?? 'hosts';
      // `[2001:db8::1]:2222 ansible_user=x` is a host line that merely starts with a bracket.
      if (header === null && section.kind === 'hosts' && BRACKETED_IPV6_HOST.test(line)) {
        readHostLine(raw, lineNumber, section, builder, problems);
        continue;
      }
      if (header === null || (kind !== 'hosts' && kind !== 'vars' && kind !== 'children')) {
        const message =
          header === null
            ? `bad section header '${line}': write [group], [group:vars] or [group:children], without spaces`
            : `unknown section type ':${kind}' in '${line}'; expected :vars or :children`;
        problems.add(at(0), undefined, message);
        section = { group: '', kind: 'hosts', label: line }; // lines up to the next header belong to no group
        continue;
      }
      const group = header[1] ?? '';
      section = { group, kind, label: `[${group}${kind === 'hosts' ? '' : `:${kind}`}]` };
      if (kind === 'vars') varsSections.push({ group, ...at(1), label: section.label });
      else {
        builder.group(group, at(1), section.label);
        definedGroups.add(group);
      }
      continue;
    }
    if (section.group === '') continue;

    if (section.kind === 'children') {
      const child = CHILD_LINE.exec(line);
      if (child === null) problems.add(at(0), section.label, `'${line}' is not a group name`);
      else {
        // A child group that is never given a section of its own is fine: Ansible creates it empty.
        builder.addChild(section.group, child[1] ?? '', at(0), `${section.label}.${child[1] ?? ''}`);
        definedGroups.add(child[1] ?? '');
      }
    } else if (section.kind === 'vars') {
      readVarLine(line, section, at, builder, problems);
    } else {
      readHostLine(raw, lineNumber, section, builder, problems);
    }
  }
  // Ansible refuses vars for a group nothing defines: it is almost always a misspelt group name.
  for (const vars of varsSections) {
    if (!definedGroups.has(vars.group)) {
      const message = `${vars.label} sets vars for group '${vars.group}', which is never defined`;
      problems.add({ line: vars.line, col: vars.col }, vars.label, message);
    }
  }
}

function readVarLine(
  line: string,
  section: Section,
  at: (offset: number) => { line: number; col: number },
  builder: AnsibleInventoryBuilder,
  problems: ProblemList,
): void {
  const equals = line.indexOf('=');
  const key = equals === -1 ? '' : line.slice(0, equals).trim();
  if (equals === -1 || key === '' || /\s/.test(key)) {
    problems.add(at(0), section.label, `expected key=value, got '${line}'`);
    return;
  }
  const value = pythonLiteral(line.slice(equals + 1).trim());
  builder.setGroupVar(section.group, key, { value, pos: at(equals + 1), path: `${section.label}.${key}` });
}

function readHostLine(
  raw: string,
  lineNumber: number,
  section: Section,
  builder: AnsibleInventoryBuilder,
  problems: ProblemList,
): void {
  const at = (index: number): { line: number; col: number } => ({ line: lineNumber, col: index + 1 });
  const tokens = splitShellWords(raw);
  if ('message' in tokens) {
    problems.add(at(tokens.index), section.label, tokens.message);
    return;
  }
  const [patternToken, ...assignments] = tokens;
  if (patternToken === undefined) return;
  const expanded = expandHostPattern(patternToken.text);
  if ('message' in expanded) {
    problems.add(at(patternToken.index + expanded.offset), section.label, expanded.message);
    return;
  }
  const variables: Array<{ key: string; value: unknown; index: number }> = [];
  for (const token of assignments) {
    const equals = token.text.indexOf('=');
    if (equals <= 0) {
      problems.add(at(token.index), section.label, `expected key=value after the host name, got '${token.text}'`);
      continue;
    }
    const value = pythonLiteral(token.text.slice(equals + 1));
    variables.push({ key: token.text.slice(0, equals), value, index: token.index });
  }
  for (const name of expanded.hosts) {
    const path = `${section.label}.${name}`;
    const host = builder.addHost(section.group, name, at(patternToken.index), path);
    if (expanded.port !== undefined) {
      builder.setHostVar(host, 'ansible_port', { value: expanded.port, pos: at(patternToken.index), path });
    }
    for (const variable of variables) {
      const definition = { value: variable.value, pos: at(variable.index), path: `${path}.${variable.key}` };
      builder.setHostVar(host, variable.key, definition);
    }
  }
}

interface Word {
  text: string;
  /** 0-based index in the line where the word starts. */
  index: number;
}

/**
 * Splits a line into words like Python's shlex in POSIX mode with comments, which Ansible uses: quotes group and
 * are removed, a backslash escapes the next character, `#` outside quotes ends the line.
 */
export function splitShellWords(line: string): Word[] | { message: string; index: number } {
  const words: Word[] = [];
  let text = '';
  let start = -1; // -1 while between words
  let quote: '"' | "'" | null = null;
  let quoteStart = 0;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] ?? '';
    if (quote !== null) {
      const escapesNext = quote === '"' && char === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\');
      if (char === quote) quote = null;
      else if (escapesNext) text += line[++i] ?? '';
      else text += char;
      continue;
    }
    if (/\s/.test(char) || char === '#') {
      if (start !== -1) words.push({ text, index: start });
      text = '';
      start = -1;
      if (char === '#') return words;
      continue;
    }
    if (start === -1) start = i;
    if (char === '"' || char === "'") {
      quote = char;
      quoteStart = i;
    } else if (char === '\\' && i + 1 < line.length) {
      text += line[++i] ?? '';
    } else {
      text += char;
    }
  }
  if (quote !== null) return { message: `unterminated ${quote} quote`, index: quoteStart };
  if (start !== -1) words.push({ text, index: start });
  return words;
}

/**
 * Types an INI value the way Ansible does with Python's literal_eval: numbers, True/False/None, quoted strings and
 * JSON-compatible lists and maps become values; anything else stays the text it is.
 */
export function pythonLiteral(text: string): unknown {
  if (/^[-+]?(?:0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (text === 'None') return null;
  const quoted = /^(["'])(.*)\1$/s.exec(text);
  if (quoted !== null) return (quoted[2] ?? '').replace(/\\(["'\\])/g, '$1');
  if (/^[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
