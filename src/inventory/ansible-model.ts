// The meaning of an Ansible inventory, whatever its syntax: groups with vars and child groups, hosts with vars.
// The YAML and INI readers feed this builder; it turns groups into bare labels, merges vars with Ansible's
// precedence (parent groups < child groups < host) and maps the ansible_* connection vars to SSH settings.

import {
  PORT_PROBLEM,
  hostNameProblem,
  isHostAddress,
  portFromValue,
  reportDuplicateHosts,
} from './checks.js';
import type { HostPlacement } from './checks.js';
import { validateLabelKey } from './labels.js';
import type { Inventory, InventoryHost, SourcePos, SshSettings, Vars } from './model.js';
import type { ProblemList } from './problems.js';

/** One written variable, remembered with its place so a bad ansible_port can be pointed at. */
export interface VarDefinition {
  value: unknown;
  pos?: SourcePos;
  path: string;
}
type VarTable = Map<string, VarDefinition>;

interface GroupDraft {
  name: string;
  pos?: SourcePos;
  path: string;
  vars: VarTable;
  parents: Set<string>;
  children: Array<{ name: string; pos?: SourcePos; path: string }>;
}

export interface HostDraft {
  name: string;
  pos?: SourcePos;
  path: string;
  vars: VarTable;
  groups: Set<string>;
}

/** Groups Ansible makes up by itself; they select everything (or nothing useful), so they are not labels. */
const IMPLICIT_GROUPS = new Set(['all', 'ungrouped']);

/** Older spellings Ansible still honours, folded into the modern name so precedence works across both. */
const VAR_ALIASES: Record<string, string> = {
  ansible_ssh_host: 'ansible_host',
  ansible_ssh_port: 'ansible_port',
  ansible_ssh_user: 'ansible_user',
  ansible_private_key_file: 'ansible_ssh_private_key_file',
};
/** Vars promanager takes over itself (SSH settings, group order); the rest are passed on as they are. */
const CONSUMED_VARS = [
  'ansible_group_priority',
  'ansible_host',
  'ansible_port',
  'ansible_user',
  'ansible_ssh_private_key_file',
  'ansible_become',
];

const TRUE_WORDS = new Set(['true', 'yes', 'y', 'on', '1', 't']);
const FALSE_WORDS = new Set(['false', 'no', 'n', 'off', '0', 'f']);

/** Ansible's boolean(): true/yes/on/1 (any case) and their opposites. */
export function ansibleBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : null;
  if (typeof value !== 'string') return null;
  const word = value.trim().toLowerCase();
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : null;
}

export class AnsibleInventoryBuilder {
  private readonly groups = new Map<string, GroupDraft>();
  private readonly groupIndex = new Map<string, number>();
  private readonly hosts = new Map<string, HostDraft>();

  constructor(private readonly problems: ProblemList) {
    this.group('all', undefined, 'all');
  }

  /** The group of that name, created on first mention (whose place is kept for messages about the name). */
  group(name: string, pos: SourcePos | undefined, path: string): GroupDraft {
    let group = this.groups.get(name);
    if (group === undefined) {
      group = { name, pos, path, vars: new Map(), parents: new Set(), children: [] };
      this.groups.set(name, group);
      this.groupIndex.set(name, this.groupIndex.size);
    }
    return group;
  }

  addChild(parentName: string, childName: string, pos: SourcePos | undefined, path: string): void {
    const parent = this.group(parentName, pos, path);
    const child = this.group(childName, pos, path);
    if (child.parents.has(parentName)) return;
    child.parents.add(parentName);
    parent.children.push({ name: childName, pos, path });
  }

  /** Puts a host into a group; a host listed in several groups is one host in several groups. */
  addHost(groupName: string, hostName: string, pos: SourcePos | undefined, path: string): HostDraft {
    let host = this.hosts.get(hostName);
    if (host === undefined) {
      host = { name: hostName, pos, path, vars: new Map(), groups: new Set() };
      this.hosts.set(hostName, host);
    }
    this.group(groupName, pos, path);
    host.groups.add(groupName);
    return host;
  }

  setGroupVar(groupName: string, key: string, definition: VarDefinition): void {
    this.group(groupName, definition.pos, definition.path).vars.set(VAR_ALIASES[key] ?? key, definition);
  }

  setHostVar(host: HostDraft, key: string, definition: VarDefinition): void {
    host.vars.set(VAR_ALIASES[key] ?? key, definition);
  }

  build(file: string, clusterName: string, format: 'ansible-yaml' | 'ansible-ini'): Inventory {
    this.checkGroupNames();
    const hasCycle = this.reportCycles();
    const all = this.groups.get('all');
    const defaults: Inventory['defaults'] = { ssh: {}, vars: {} };
    if (all !== undefined) {
      const allVars = new Map(all.vars);
      // ansible_host only makes sense per host; left in the shared vars, it stays an ordinary variable.
      const hostVar = allVars.get('ansible_host');
      allVars.delete('ansible_host');
      defaults.ssh = this.connectionSettings(allVars, undefined);
      defaults.vars = plainVars(allVars);
      if (hostVar !== undefined) defaults.vars.ansible_host = hostVar.value;
    }
    const depths = hasCycle ? new Map<string, number>() : this.groupDepths();
    const placements: HostPlacement[] = [];
    const hosts: InventoryHost[] = [];
    for (const draft of this.hosts.values()) {
      const host = this.buildHost(draft, depths);
      if (host === null) continue;
      hosts.push(host);
      placements.push({ name: host.name, nameIsExplicit: true, ip: host.ip, path: draft.path, pos: draft.pos });
    }
    reportDuplicateHosts(placements, this.problems);
    return {
      file,
      format,
      defaults,
      clusters: [{ name: clusterName, description: '', labels: {}, vars: {}, ssh: {}, hosts }],
    };
  }

  private buildHost(draft: HostDraft, depths: Map<string, number>): InventoryHost | null {
    const nameProblem = hostNameProblem(draft.name);
    if (nameProblem !== null) this.problems.add(draft.pos, draft.path, nameProblem);
    const memberOf = this.ancestorsOf(draft.groups);
    const labels: Record<string, string> = {};
    // Labels in the order the groups first appear in the file, so output is stable and reads like the source.
    const inFileOrder = [...memberOf].sort((a, b) => this.groupOrder(a) - this.groupOrder(b));
    for (const group of inFileOrder) {
      if (!IMPLICIT_GROUPS.has(group) && validateLabelKey(group) === null) labels[group] = '';
    }
    // Ansible's order: shallower groups first, then ansible_group_priority, then name; later ones win.
    const ordered = [...memberOf]
      .filter((name) => name !== 'all')
      .map((name) => this.groups.get(name))
      .filter((group): group is GroupDraft => group !== undefined)
      .sort((a, b) => compareGroups(a, b, depths));
    const merged: VarTable = new Map();
    for (const group of ordered) for (const [key, definition] of group.vars) merged.set(key, definition);
    for (const [key, definition] of draft.vars) merged.set(key, definition);

    const address = merged.get('ansible_host');
    const ip = address === undefined ? draft.name : stringValue(address.value);
    const ssh = this.connectionSettings(merged, draft);
    if (ip === undefined || !isHostAddress(ip)) {
      const message =
        address === undefined
          ? `host '${draft.name}' has no ansible_host and its name is not an IP address or DNS name`
          : `ansible_host '${String(address.value)}' of host '${draft.name}' is not an IP address or DNS name`;
      this.problems.add(address?.pos ?? draft.pos, address?.path ?? draft.path, message);
      return null;
    }
    return { name: draft.name, ip, labels, vars: plainVars(merged), ssh, pos: draft.pos };
  }

  /** Reads the ansible_* connection vars of `vars` into SSH settings, reporting values that cannot work. */
  private connectionSettings(vars: VarTable, host: HostDraft | undefined): SshSettings {
    const ssh: SshSettings = {};
    // A bad value written in a group is reported once, not once for every host of the group.
    const report = (name: string, definition: VarDefinition, problem: string): void => {
      const own = host !== undefined && host.vars.get(name) === definition;
      const subject = own ? `${name} of host '${host.name}'` : name;
      this.problems.add(definition.pos ?? host?.pos, definition.path, `${subject} ${problem}`);
    };
    for (const [name, field] of [
      ['ansible_user', 'user'],
      ['ansible_ssh_private_key_file', 'key'],
    ] as const) {
      const definition = vars.get(name);
      if (definition === undefined) continue;
      const text = stringValue(definition.value);
      if (text === undefined || text === '') {
        report(name, definition, 'must be non-empty text');
      } else if (text.includes('{{')) {
        report(name, definition, `is a Jinja template ('${text}'); promanager does not evaluate templates, write the value itself`);
      } else {
        ssh[field] = text;
      }
    }
    const port = vars.get('ansible_port');
    if (port !== undefined) {
      const number = portFromValue(port.value);
      if (number === null) report('ansible_port', port, `is not valid: ${PORT_PROBLEM}, not '${String(port.value)}'`);
      else ssh.port = number;
    }
    const become = vars.get('ansible_become');
    if (become !== undefined) {
      const flag = ansibleBoolean(become.value);
      if (flag === null) report('ansible_become', become, `must be true or false (or yes/no, 1/0), not '${String(become.value)}'`);
      else ssh.become = flag;
    }
    return ssh;
  }

  private checkGroupNames(): void {
    for (const group of this.groups.values()) {
      if (IMPLICIT_GROUPS.has(group.name)) continue;
      const problem = validateLabelKey(group.name);
      if (problem !== null) {
        this.problems.add(group.pos, group.path, `group '${group.name}' cannot become a label: ${problem}`);
      }
    }
  }

  /** Depth-first search over child links; every link that closes a loop is reported where it was written. */
  private reportCycles(): boolean {
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    let found = false;
    const visit = (group: GroupDraft): void => {
      state.set(group.name, 'visiting');
      stack.push(group.name);
      for (const link of group.children) {
        const child = this.groups.get(link.name);
        if (child === undefined) continue;
        if (state.get(child.name) === 'visiting') {
          const loop = [...stack.slice(stack.indexOf(child.name)), child.name].join(' -> ');
          this.problems.add(link.pos, link.path, `group '${child.name}' is its own descendant: ${loop}`);
          found = true;
        } else if (!state.has(child.name)) {
          visit(child);
        }
      }
      stack.pop();
      state.set(group.name, 'done');
    };
    for (const group of this.groups.values()) if (!state.has(group.name)) visit(group);
    return found;
  }

  /** Longest distance from `all`, as Ansible computes it; groups without parents hang off `all`. */
  private groupDepths(): Map<string, number> {
    const depths = new Map<string, number>([['all', 0]]);
    const depthOf = (group: GroupDraft): number => {
      const known = depths.get(group.name);
      if (known !== undefined) return known;
      let depth = 1;
      for (const parentName of group.parents) {
        const parent = this.groups.get(parentName);
        if (parent !== undefined) depth = Math.max(depth, depthOf(parent) + 1);
      }
      depths.set(group.name, depth);
      return depth;
    };
    for (const group of this.groups.values()) depthOf(group);
    return depths;
  }

  private groupOrder(name: string): number {
    return this.groupIndex.get(name) ?? Number.MAX_SAFE_INTEGER;
  }

  /** The groups themselves and every group above them through `children` links. */
  private ancestorsOf(direct: Set<string>): Set<string> {
    const result = new Set<string>();
    const pending = [...direct];
    while (pending.length > 0) {
      const name = pending.pop() ?? '';
      if (result.has(name)) continue;
      result.add(name);
      for (const parent of this.groups.get(name)?.parents ?? []) pending.push(parent);
    }
    return result;
  }
}

function compareGroups(a: GroupDraft, b: GroupDraft, depths: Map<string, number>): number {
  const byDepth = (depths.get(a.name) ?? 1) - (depths.get(b.name) ?? 1);
  if (byDepth !== 0) return byDepth;
  const byPriority = groupPriority(a) - groupPriority(b);
  if (byPriority !== 0) return byPriority;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function groupPriority(group: GroupDraft): number {
  const priority = Number(group.vars.get('ansible_group_priority')?.value ?? 1);
  return Number.isFinite(priority) ? priority : 1;
}

function plainVars(table: VarTable): Vars {
  const vars: Vars = {};
  for (const [key, definition] of table) if (!CONSUMED_VARS.includes(key)) vars[key] = definition.value;
  return vars;
}

function stringValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
