// Ansible inventories (YAML and INI) read into one promanager cluster: each group becomes a bare label on its
// hosts, and the ansible_* connection vars become SSH settings. The meaning lives in ansible-model.ts; this
// module reads the YAML syntax and hands INI to ansible-ini.ts.

import { isMap } from 'yaml';
import type { Scalar, YAMLMap } from 'yaml';
import { suggest } from '../core/errors.js';
import { parseAnsibleIni } from './ansible-ini.js';
import { AnsibleInventoryBuilder } from './ansible-model.js';
import { expandHostPattern } from './host-patterns.js';
import type { Inventory, SourcePos } from './model.js';
import { ProblemList, throwIfProblems } from './problems.js';
import {
  describeYamlType,
  isEmptyValue,
  joinPath,
  mapEntries,
  parseYamlSource,
  positionOf,
  toPlainValue,
} from './yaml-source.js';
import type { MapEntry, YamlSource } from './yaml-source.js';

const GROUP_KEYS = ['hosts', 'vars', 'children'];

/** Reads an Ansible YAML inventory (`all:` with `hosts`, `vars`, `children`) as the cluster `clusterName`. */
export function readAnsibleYaml(text: string, file: string, clusterName: string): Inventory {
  const problems = new ProblemList(file);
  const builder = new AnsibleInventoryBuilder(problems);
  // YAML 1.1, as PyYAML reads it for Ansible: `ansible_become: yes` is a boolean there.
  const source = parseYamlSource(text, problems, '1.1');
  if (source !== null) new AnsibleYamlReader(source, builder, problems).readRoot();
  const inventory = builder.build(file, clusterName, 'ansible-yaml');
  throwIfProblems(problems);
  return inventory;
}

/** Reads an Ansible INI inventory (`[group]`, `[group:vars]`, `[group:children]`) as the cluster `clusterName`. */
export function readAnsibleIni(text: string, file: string, clusterName: string): Inventory {
  const problems = new ProblemList(file);
  const builder = new AnsibleInventoryBuilder(problems);
  parseAnsibleIni(text, builder, problems);
  const inventory = builder.build(file, clusterName, 'ansible-ini');
  throwIfProblems(problems);
  return inventory;
}

class AnsibleYamlReader {
  constructor(
    private readonly source: YamlSource,
    private readonly builder: AnsibleInventoryBuilder,
    private readonly problems: ProblemList,
  ) {}

  readRoot(): void {
    const root = this.source.doc.contents;
    if (isEmptyValue(root)) return; // Ansible accepts an empty inventory; so does promanager: no hosts
    if (!isMap(root)) {
      this.problems.add(
        positionOf(this.source, root),
        undefined,
        `an Ansible YAML inventory is a mapping of groups (e.g. all:), not ${describeYamlType(root)}`,
      );
      return;
    }
    for (const entry of mapEntries(this.source, root, '', this.problems, 'group')) {
      this.readGroup(entry, entry.key, undefined);
    }
  }

  private readGroup(entry: MapEntry, path: string, parent: string | undefined): void {
    const name = entry.key;
    if (parent === undefined) this.builder.group(name, entry.pos, path);
    else this.builder.addChild(parent, name, entry.pos, path);
    const group = this.mapOrEmpty(entry, path, `group '${name}' must be a mapping with hosts, vars or children`);
    if (group === null) return;
    for (const field of mapEntries(this.source, group, path, this.problems)) {
      const fieldPath = joinPath(path, field.key);
      if (field.key === 'hosts') this.readHosts(field, fieldPath, name);
      else if (field.key === 'vars') this.readGroupVars(field, fieldPath, name);
      else if (field.key === 'children') this.readChildren(field, fieldPath, name);
      else {
        const candidates = suggest(field.key, GROUP_KEYS, 1);
        const advice = candidates.length > 0 ? `did you mean '${candidates[0]}'?` : 'a group has hosts, vars and children';
        this.problems.add(field.pos, fieldPath, `unknown key '${field.key}' in group '${name}'; ${advice}`);
      }
    }
  }

  private readHosts(entry: MapEntry, path: string, groupName: string): void {
    const hosts = this.mapOrEmpty(
      entry,
      path,
      'hosts must be a mapping of host names, each with its vars or nothing (web-1: or web-1: { ansible_port: 22 })',
    );
    if (hosts === null) return;
    for (const hostEntry of mapEntries(this.source, hosts, path, this.problems, 'host')) {
      const hostPath = joinPath(path, hostEntry.key);
      const expanded = expandHostPattern(hostEntry.key);
      if ('message' in expanded) {
        this.problems.add(offsetInKey(hostEntry.keyNode, hostEntry.pos, expanded.offset), hostPath, expanded.message);
        continue;
      }
      const vars = this.mapOrEmpty(hostEntry, hostPath, `the vars of host '${hostEntry.key}' must be a mapping`);
      for (const hostName of expanded.hosts) {
        const host = this.builder.addHost(groupName, hostName, hostEntry.pos, hostPath);
        if (expanded.port !== undefined) {
          this.builder.setHostVar(host, 'ansible_port', { value: expanded.port, pos: hostEntry.pos, path: hostPath });
        }
        if (vars === null) continue;
        for (const variable of mapEntries(this.source, vars, hostPath, this.problems, 'variable')) {
          this.builder.setHostVar(host, variable.key, {
            value: toPlainValue(this.source, variable.value),
            pos: variable.valuePos,
            path: joinPath(hostPath, variable.key),
          });
        }
      }
    }
  }

  private readGroupVars(entry: MapEntry, path: string, groupName: string): void {
    const vars = this.mapOrEmpty(entry, path, `the vars of group '${groupName}' must be a mapping`);
    if (vars === null) return;
    for (const variable of mapEntries(this.source, vars, path, this.problems, 'variable')) {
      this.builder.setGroupVar(groupName, variable.key, {
        value: toPlainValue(this.source, variable.value),
        pos: variable.valuePos,
        path: joinPath(path, variable.key),
      });
    }
  }

  private readChildren(entry: MapEntry, path: string, groupName: string): void {
    const children = this.mapOrEmpty(entry, path, `the children of group '${groupName}' must be a mapping of groups`);
    if (children === null) return;
    for (const child of mapEntries(this.source, children, path, this.problems, 'group')) {
      this.readGroup(child, joinPath(path, child.key), groupName);
    }
  }

  /** The entry's value as a mapping; null when empty, or (reported with `message`) when it is something else. */
  private mapOrEmpty(entry: MapEntry, path: string, message: string): YAMLMap | null {
    if (isEmptyValue(entry.value)) return null;
    if (isMap(entry.value)) return entry.value;
    this.problems.add(entry.valuePos, path, `${message}, not ${describeYamlType(entry.value)}`);
    return null;
  }
}

/** Where `offset` of a key's text is in the file; quoted keys start one character after their quote. */
function offsetInKey(keyNode: Scalar, keyPos: SourcePos | undefined, offset: number): SourcePos | undefined {
  if (keyPos === undefined) return undefined;
  const quoted = keyNode.type === 'QUOTE_DOUBLE' || keyNode.type === 'QUOTE_SINGLE';
  return { line: keyPos.line, col: keyPos.col + offset + (quoted ? 1 : 0) };
}
