// `promanager completion bash|zsh|fish`: shell completion scripts generated from the command tree itself, so
// every noun, verb and flag the CLI has is completed, and nothing it does not have. Component names complete
// where a command takes a <component>.
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { GLOBAL_OPTIONS } from './globals.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionNode {
  /** command words from the top ('' for the program itself, 'host add' ...) */
  path: string;
  description: string;
  children: string[];
  flags: string[];
  /** completions for the first argument, if it is a known kind (component names, shells) */
  argWords: string[];
}

/** Flattens the command tree: one node per command path. */
export function completionTree(program: Command, components: string[]): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const walk = (cmd: Command, path: string) => {
    const firstArg = (cmd as unknown as { registeredArguments?: Array<{ name(): string }> }).registeredArguments?.[0]?.name() ?? '';
    nodes.push({
      path,
      description: cmd.description().split('\n')[0] ?? '',
      children: cmd.commands.map((c) => c.name()),
      // the program's own options are the global ones, which the scripts add everywhere; --version is top-level only
      flags: path === '' ? ['--version', '-V'] : cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))).filter((f) => !globalFlags().includes(f)),
      argWords: firstArg === 'component' ? components : firstArg === 'shell' ? [...SHELLS] : [],
    });
    for (const c of cmd.commands) walk(c, path ? `${path} ${c.name()}` : c.name());
  };
  walk(program, '');
  return nodes;
}

const globalFlags = (): string[] => GLOBAL_OPTIONS.flatMap((g) => [`--${g.long}`, ...(g.short ? [`-${g.short}`] : [])]).concat(['--help']);

// Only plain command and flag names reach a script; checked so a future name cannot break the quoting.
function safe(word: string): string {
  if (!/^[A-Za-z0-9_.:@-]+$/.test(word)) throw new Error(`completion: '${word}' is not a plain word`);
  return word;
}

function caseTable(fn: string, nodes: CompletionNode[], pick: (n: CompletionNode) => string[]): string {
  const arms = nodes.map((n) => `    '${n.path}') echo '${pick(n).map(safe).join(' ')}' ;;`);
  return `${fn}() {\n  case "$1" in\n${arms.join('\n')}\n  esac\n}`;
}

/** The command words typed so far (flags skipped), as `cmdpath`: shared by the bash and zsh scripts. */
function pathWalk(first: string, last: string, word: (i: string) => string): string {
  return `
  local cmdpath="" w i
  for ((i = ${first}; i < ${last}; i++)); do
    w=${word('i')}
    [[ $w == -- ]] && return 0
    [[ $w == -* ]] && continue
    case " $(_promanager_children "$cmdpath") " in
      *" $w "*) cmdpath="\${cmdpath:+$cmdpath }$w" ;;
    esac
  done`;
}

function bash(nodes: CompletionNode[]): string {
  return `# bash completion for promanager: source it, or put it in /etc/bash_completion.d/promanager
${caseTable('_promanager_children', nodes, (n) => n.children)}
${caseTable('_promanager_flags', nodes, (n) => n.flags)}
${caseTable('_promanager_args', nodes, (n) => n.argWords)}
_promanager() {
  local cur=\${COMP_WORDS[COMP_CWORD]}${pathWalk('1', 'COMP_CWORD', (i) => `\${COMP_WORDS[${i}]}`)}
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_promanager_flags "$cmdpath") ${globalFlags().join(' ')}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_promanager_children "$cmdpath") $(_promanager_args "$cmdpath")" -- "$cur"))
  fi
}
complete -o default -F _promanager promanager
`;
}

function zsh(nodes: CompletionNode[]): string {
  return `#compdef promanager
# zsh completion for promanager: put it in a directory of $fpath as _promanager, or source it after compinit
${caseTable('_promanager_children', nodes, (n) => n.children)}
${caseTable('_promanager_flags', nodes, (n) => n.flags)}
${caseTable('_promanager_args', nodes, (n) => n.argWords)}
_promanager() {${pathWalk('2', 'CURRENT', (i) => `\${words[${i}]}`)}
  if [[ $PREFIX == -* ]]; then
    compadd -- \${=$(_promanager_flags "$cmdpath")} ${globalFlags().join(' ')}
  else
    compadd -- \${=$(_promanager_children "$cmdpath")} \${=$(_promanager_args "$cmdpath")}
  fi
}
compdef _promanager promanager
`;
}

function fish(nodes: CompletionNode[]): string {
  const lines = ['# fish completion for promanager: save as ~/.config/fish/completions/promanager.fish', 'complete -c promanager -f'];
  for (const g of GLOBAL_OPTIONS) lines.push(`complete -c promanager -l ${safe(g.long)}${g.short ? ` -s ${safe(g.short)}` : ''}${g.takesValue ? ' -r' : ''}`);
  const describe = (d: string) => `'${d.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  for (const n of nodes) {
    const words = n.path ? n.path.split(' ') : [];
    // fish's helper: every word of the path given, and no child word yet.
    const seen = words.map((w) => `__fish_seen_subcommand_from ${safe(w)}`);
    const notChild = n.children.length ? [`not __fish_seen_subcommand_from ${n.children.map(safe).join(' ')}`] : [];
    const cond = words.length === 0 ? ['__fish_use_subcommand'] : [...seen, ...notChild];
    const at = `-n '${cond.join('; and ')}'`;
    for (const child of n.children) {
      const description = nodes.find((c) => c.path === (n.path ? `${n.path} ${child}` : child))?.description ?? '';
      lines.push(`complete -c promanager ${at} -a ${safe(child)} -d ${describe(description)}`);
    }
    if (words.length > 0) {
      const mine = `-n '${seen.join('; and ')}'`;
      for (const f of n.flags) lines.push(`complete -c promanager ${mine} ${f.startsWith('--') ? `-l ${safe(f.slice(2))}` : `-s ${safe(f.slice(1))}`}`);
      if (n.argWords.length) lines.push(`complete -c promanager ${at} -a '${n.argWords.map(safe).join(' ')}'`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: string, program: Command, components: string[]): string {
  const nodes = completionTree(program, components);
  switch (shell) {
    case 'bash': return bash(nodes);
    case 'zsh': return zsh(nodes);
    case 'fish': return fish(nodes);
    default: throw new UsageError(`completion: unknown shell '${shell}'`, 'give bash, zsh or fish, e.g. promanager completion bash > /etc/bash_completion.d/promanager');
  }
}
