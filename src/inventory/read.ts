// Entry point for `-i FILE` and `inventory validate|import`: read the file, tell which of the three formats it
// is written in, and hand it to that reader.

import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { isAlias, isMap, isScalar, parseDocument } from 'yaml';
import { PromanagerError, UsageError } from '../core/errors.js';
import { readAnsibleIni, readAnsibleYaml } from './ansible.js';
import { clusterNameProblem } from './checks.js';
import type { Inventory } from './model.js';
import { readPromanagerInventory } from './promanager-yaml.js';

export type InventoryFormat = Inventory['format'];

export interface ReadInventoryOptions {
  /** The cluster an Ansible inventory becomes; by default named after the file. Unused for promanager files. */
  cluster?: string;
}

export async function readInventoryFile(path: string, opts: ReadInventoryOptions = {}): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw unreadableFileError(path, error);
  }
  return readInventoryText(text, path, opts);
}

/** Reads inventory text that came from `path` (used for the format guess, the cluster name and messages). */
export function readInventoryText(text: string, path: string, opts: ReadInventoryOptions = {}): Inventory {
  const content = text.replace(/^\uFEFF/, ''); // editors on Windows like to start files with a byte-order mark
  const format = detectFormat(content, path);
  if (format === 'promanager') return readPromanagerInventory(content, path);
  const cluster = opts.cluster ?? clusterNameFromPath(path);
  const problem = clusterNameProblem(cluster);
  if (problem !== null) throw new UsageError(problem, 'choose the cluster for an Ansible inventory with --cluster <name>');
  return format === 'ansible-ini' ? readAnsibleIni(content, path, cluster) : readAnsibleYaml(content, path, cluster);
}

const PROMANAGER_KEYS = ['clusters', 'defaults'];
const ANSIBLE_GROUP_KEYS = ['hosts', 'children', 'vars'];

/**
 * Which format `text` is in. INI when the name says so (.ini, .cfg) or the first line that is not a comment is a
 * `[section]`; for YAML, top-level `clusters:`/`defaults:` mean promanager's format and `all:` or groups with
 * `hosts:`/`children:` mean Ansible's. Text that is not a YAML mapping (Ansible INI without any section is just
 * host lines) is INI, unless the file is named .yml/.yaml: then the promanager reader explains what is wrong.
 */
export function detectFormat(text: string, path: string): InventoryFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.ini' || extension === '.cfg') return 'ansible-ini';
  const namedYaml = extension === '.yml' || extension === '.yaml';
  const firstLine = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.startsWith('#') && !line.startsWith(';') && line !== '---');
  if (firstLine === undefined) return namedYaml ? 'promanager' : 'ansible-ini';
  if (firstLine.startsWith('[')) return 'ansible-ini';
  // promanager's own top-level keys at column 0 decide it without a second full parse (large files: half the time).
  if (namedYaml && /^(?:clusters|defaults)[ \t]*:/m.test(text)) return 'promanager';

  const doc = parseDocument(text, { uniqueKeys: false, logLevel: 'silent' });
  if (doc.errors.length > 0) {
    // A broken YAML file still shows its intent in its top-level keys; its reader will report the syntax error.
    if (/^(?:clusters|defaults)\s*:/m.test(text)) return 'promanager';
    if (/^all\s*:/m.test(text) || /^\s+(?:hosts|children)\s*:/m.test(text)) return 'ansible-yaml';
    return namedYaml ? 'promanager' : 'ansible-ini';
  }
  const root = doc.contents;
  if (!isMap(root)) return namedYaml ? 'promanager' : 'ansible-ini';
  // Walk the tree rather than converting it to JS: no alias expansion, so no billion-laughs cost in a mere guess.
  const keys = root.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''));
  if (keys.some((key) => PROMANAGER_KEYS.includes(key))) return 'promanager';
  const looksLikeGroup = (value: unknown): boolean => {
    const group = isAlias(value) ? value.resolve(doc) : value;
    if (!isMap(group)) return false;
    return group.items.some((pair) => isScalar(pair.key) && ANSIBLE_GROUP_KEYS.includes(String(pair.key.value)));
  };
  if (keys.includes('all') || root.items.some((pair) => looksLikeGroup(pair.value))) return 'ansible-yaml';
  // `h1 note="a: b"` is a YAML mapping by accident; real keys have neither spaces nor '='.
  if (!namedYaml && keys.some((key) => /[\s=]/.test(key))) return 'ansible-ini';
  return 'promanager';
}

/** Names too generic to tell inventories apart (`inventories/prod/hosts`); the directory says more then. */
const GENERIC_FILE_NAMES = new Set(['hosts', 'inventory', 'main', 'all']);

/** The cluster an Ansible inventory becomes when none is given: the file's name, made a valid cluster name. */
export function clusterNameFromPath(path: string): string {
  let stem = basename(path, extname(path));
  if (GENERIC_FILE_NAMES.has(stem.toLowerCase())) stem = basename(dirname(resolve(path)));
  const name = stem
    .replace(/[^a-zA-Z0-9._-]+/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .slice(0, 63);
  return name === '' ? 'ansible' : name;
}

function unreadableFileError(path: string, error: unknown): PromanagerError {
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const hint = 'check the path given with -i/--inventory (or PROMANAGER_INVENTORY)';
  switch (code) {
    case 'ENOENT':
      return new PromanagerError(`inventory file ${path} does not exist`, { hint, cause: error });
    case 'EISDIR':
      return new PromanagerError(`inventory ${path} is a directory, not a file`, { hint, cause: error });
    case 'EACCES':
    case 'EPERM':
      return new PromanagerError(`cannot read inventory file ${path}: permission denied`, {
        hint: 'make the file readable by the user running promanager',
        cause: error,
      });
    default: {
      const reason = error instanceof Error ? error.message : String(error);
      return new PromanagerError(`cannot read inventory file ${path}: ${reason}`, { hint, cause: error });
    }
  }
}
