// Reader for promanager's own inventory format (see "Inventory file" in the CLI contract). Every problem is
// collected with its file:line:col and field path, and reported together in one FileProblemError.

import { isMap, isSeq } from 'yaml';
import type { YAMLMap } from 'yaml';
import { suggest } from '../core/errors.js';
import {
  PORT_PROBLEM,
  clusterNameProblem,
  hostNameProblem,
  isHostAddress,
  portFromValue,
  reportDuplicateHosts,
} from './checks.js';
import type { HostPlacement } from './checks.js';
import { validateLabelKey, validateLabelValue } from './labels.js';
import type { Inventory, InventoryCluster, InventoryHost, Labels, SourcePos, SshSettings, Vars } from './model.js';
import { ProblemList, throwIfProblems } from './problems.js';
import {
  deref,
  describeYamlType,
  isEmptyValue,
  joinPath,
  mapEntries,
  parseYamlSource,
  positionOf,
  scalarText,
  toPlainValue,
} from './yaml-source.js';
import type { MapEntry, YamlSource } from './yaml-source.js';

const TOP_LEVEL_KEYS = ['defaults', 'clusters'];
const DEFAULTS_KEYS = ['ssh', 'vars'];
const CLUSTER_KEYS = ['description', 'labels', 'vars', 'ssh', 'hosts'];
const HOST_KEYS = ['name', 'ip', 'labels', 'vars', 'ssh'];
const SSH_KEYS = ['user', 'port', 'key', 'become'];

/** Reads promanager's inventory format; throws a FileProblemError listing every problem found. */
export function readPromanagerInventory(text: string, file: string): Inventory {
  const problems = new ProblemList(file);
  const inventory: Inventory = { file, format: 'promanager', defaults: { ssh: {}, vars: {} }, clusters: [] };
  const source = parseYamlSource(text, problems, '1.2');
  if (source !== null) new PromanagerReader(source, problems).readInto(inventory);
  throwIfProblems(problems);
  return inventory;
}

class PromanagerReader {
  private readonly hostPlacements: HostPlacement[] = [];

  constructor(
    private readonly source: YamlSource,
    private readonly problems: ProblemList,
  ) {}

  readInto(inventory: Inventory): void {
    const root = this.source.doc.contents;
    if (isEmptyValue(root)) {
      this.problems.add({ line: 1, col: 1 }, undefined, "the inventory is empty: expected a top-level 'clusters:' mapping");
      return;
    }
    const rootMap = this.expectMap(root, '', positionOf(this.source, root));
    if (rootMap === null) return;
    for (const entry of this.entriesWithKnownKeys(rootMap, '', TOP_LEVEL_KEYS)) {
      if (entry.key === 'defaults') this.readDefaults(entry, inventory);
      if (entry.key === 'clusters') inventory.clusters = this.readClusters(entry);
    }
    reportDuplicateHosts(this.hostPlacements, this.problems);
  }

  private readDefaults(entry: MapEntry, inventory: Inventory): void {
    const map = this.expectMapOrEmpty(entry.value, 'defaults', entry.valuePos);
    if (map === null) return;
    for (const field of this.entriesWithKnownKeys(map, 'defaults', DEFAULTS_KEYS)) {
      if (field.key === 'ssh') inventory.defaults.ssh = this.readSsh(field, 'defaults.ssh');
      if (field.key === 'vars') inventory.defaults.vars = this.readVars(field, 'defaults.vars');
    }
  }

  private readClusters(entry: MapEntry): InventoryCluster[] {
    const map = this.expectMapOrEmpty(entry.value, 'clusters', entry.valuePos);
    if (map === null) return [];
    const clusters: InventoryCluster[] = [];
    for (const clusterEntry of mapEntries(this.source, map, 'clusters', this.problems, 'cluster')) {
      const cluster = this.readCluster(clusterEntry);
      if (cluster !== null) clusters.push(cluster);
    }
    return clusters;
  }

  private readCluster(entry: MapEntry): InventoryCluster | null {
    const path = joinPath('clusters', entry.key);
    const nameProblem = clusterNameProblem(entry.key);
    if (nameProblem !== null) this.problems.add(entry.pos, path, nameProblem);
    const cluster: InventoryCluster = {
      name: entry.key,
      description: '',
      labels: {},
      vars: {},
      ssh: {},
      hosts: [],
      pos: entry.pos,
    };
    const map = this.expectMapOrEmpty(entry.value, path, entry.valuePos);
    if (map === null) return cluster;
    for (const field of this.entriesWithKnownKeys(map, path, CLUSTER_KEYS)) {
      const fieldPath = joinPath(path, field.key);
      if (field.key === 'description') cluster.description = this.readText(field, fieldPath) ?? '';
      if (field.key === 'labels') cluster.labels = this.readLabels(field, fieldPath);
      if (field.key === 'vars') cluster.vars = this.readVars(field, fieldPath);
      if (field.key === 'ssh') cluster.ssh = this.readSsh(field, fieldPath);
      if (field.key === 'hosts') cluster.hosts = this.readHosts(field, fieldPath);
    }
    return cluster;
  }

  private readHosts(entry: MapEntry, path: string): InventoryHost[] {
    if (isEmptyValue(entry.value)) return [];
    if (!isSeq(entry.value)) {
      const found = describeYamlType(entry.value);
      this.problems.add(entry.valuePos, path, `hosts must be a list (lines starting with '- '), not ${found}`);
      return [];
    }
    const hosts: InventoryHost[] = [];
    entry.value.items.forEach((item, index) => {
      // An empty item (`- ` alone) has no place of its own; point at the list then.
      const pos = positionOf(this.source, item) ?? entry.valuePos;
      const host = this.readHost(deref(this.source, item), `${path}[${index}]`, pos);
      if (host !== null) hosts.push(host);
    });
    return hosts;
  }

  private readHost(node: unknown, path: string, pos: SourcePos | undefined): InventoryHost | null {
    if (!isMap(node)) {
      const found = describeYamlType(node);
      this.problems.add(pos, path, `a host must be a mapping like { name: web-1, ip: 10.0.0.5 }, not ${found}`);
      return null;
    }
    const host: InventoryHost = { name: '', ip: '', labels: {}, vars: {}, ssh: {}, pos };
    let ipEntry: MapEntry | undefined;
    let nameEntry: MapEntry | undefined;
    for (const field of this.entriesWithKnownKeys(node, path, HOST_KEYS)) {
      const fieldPath = joinPath(path, field.key);
      if (field.key === 'name') nameEntry = field;
      if (field.key === 'ip') ipEntry = field;
      if (field.key === 'labels') host.labels = this.readLabels(field, fieldPath);
      if (field.key === 'vars') host.vars = this.readVars(field, fieldPath);
      if (field.key === 'ssh') host.ssh = this.readSsh(field, fieldPath);
    }
    const name = nameEntry === undefined ? undefined : this.readText(nameEntry, joinPath(path, 'name'));
    const ip = ipEntry === undefined ? undefined : this.readText(ipEntry, joinPath(path, 'ip'));
    if (ipEntry === undefined) {
      this.problems.add(pos, path, `host ${name ? `'${name}' ` : ''}has no 'ip'`);
      return null;
    }
    if (ip === undefined) return null;
    if (ip === '') {
      this.problems.add(ipEntry.valuePos, joinPath(path, 'ip'), 'ip is empty');
      return null;
    }
    if (!isHostAddress(ip)) {
      this.problems.add(ipEntry.valuePos, joinPath(path, 'ip'), `'${ip}' is not an IPv4 or IPv6 address (nor a DNS name)`);
      return null;
    }
    host.ip = ip;
    host.name = name === undefined || name === '' ? ip : name;
    const nameProblem = nameEntry === undefined ? null : hostNameProblem(host.name);
    if (nameProblem !== null) this.problems.add(nameEntry?.valuePos, joinPath(path, 'name'), nameProblem);
    this.hostPlacements.push({
      name: host.name,
      nameIsExplicit: name !== undefined && name !== '',
      ip,
      path,
      pos,
      ipPos: ipEntry.valuePos,
      namePos: nameEntry?.valuePos,
    });
    return host;
  }

  private readSsh(entry: MapEntry, path: string): SshSettings {
    const ssh: SshSettings = {};
    const map = this.expectMapOrEmpty(entry.value, path, entry.valuePos);
    if (map === null) return ssh;
    for (const field of this.entriesWithKnownKeys(map, path, SSH_KEYS)) {
      const fieldPath = joinPath(path, field.key);
      const value = toPlainValue(this.source, field.value);
      if (field.key === 'port') {
        const port = portFromValue(value);
        if (port === null) this.problems.add(field.valuePos, fieldPath, `${PORT_PROBLEM}, not '${String(value)}'`);
        else ssh.port = port;
      } else if (field.key === 'become') {
        if (typeof value === 'boolean') ssh.become = value;
        else this.problems.add(field.valuePos, fieldPath, `become must be true or false, not '${String(value)}'`);
      } else {
        const text = this.readText(field, fieldPath);
        if (text === '') this.problems.add(field.valuePos, fieldPath, `${field.key} must not be empty`);
        else if (text !== undefined && field.key === 'user') ssh.user = text;
        else if (text !== undefined && field.key === 'key') ssh.key = text; // `~/` is expanded by whoever connects
      }
    }
    return ssh;
  }

  private readLabels(entry: MapEntry, path: string): Labels {
    const labels: Labels = {};
    const map = this.expectMapOrEmpty(entry.value, path, entry.valuePos);
    if (map === null) return labels;
    for (const label of mapEntries(this.source, map, path, this.problems, 'label')) {
      const labelPath = joinPath(path, label.key);
      const keyProblem = validateLabelKey(label.key);
      if (keyProblem !== null) this.problems.add(label.pos, labelPath, keyProblem);
      const value = scalarText(label.value);
      if (value === undefined) {
        this.problems.add(
          label.valuePos,
          labelPath,
          `a label value must be a string, number, true/false or "" (a bare label), not ${describeYamlType(label.value)}`,
        );
        continue;
      }
      const valueProblem = validateLabelValue(value);
      if (valueProblem !== null) this.problems.add(label.valuePos, labelPath, valueProblem);
      if (keyProblem === null && valueProblem === null) labels[label.key] = value;
    }
    return labels;
  }

  private readVars(entry: MapEntry, path: string): Vars {
    const vars: Vars = {};
    const map = this.expectMapOrEmpty(entry.value, path, entry.valuePos);
    if (map === null) return vars;
    for (const variable of mapEntries(this.source, map, path, this.problems, 'variable')) {
      if (variable.key === '') this.problems.add(variable.pos, path, 'variable name is empty');
      else vars[variable.key] = toPlainValue(this.source, variable.value);
    }
    return vars;
  }

  /** A scalar as text (numbers keep their spelling); reports mappings and lists and returns undefined. */
  private readText(entry: MapEntry, path: string): string | undefined {
    const text = scalarText(entry.value);
    if (text === undefined) {
      this.problems.add(entry.valuePos, path, `${entry.key} must be text, not ${describeYamlType(entry.value)}`);
    }
    return text;
  }

  /** The entries of `map` whose keys are in `allowed`; others are reported with a did-you-mean. */
  private entriesWithKnownKeys(map: YAMLMap, path: string, allowed: string[]): MapEntry[] {
    return mapEntries(this.source, map, path, this.problems).filter((entry) => {
      if (allowed.includes(entry.key)) return true;
      const candidates = suggest(entry.key, allowed, 1);
      const advice =
        candidates.length > 0 ? `did you mean '${candidates[0]}'?` : `expected one of: ${allowed.join(', ')}`;
      this.problems.add(entry.pos, joinPath(path, entry.key), `unknown key '${entry.key}'; ${advice}`);
      return false;
    });
  }

  private expectMap(node: unknown, path: string, pos: SourcePos | undefined): YAMLMap | null {
    if (isMap(node)) return node;
    this.problems.add(pos, path, `expected a mapping (key: value), found ${describeYamlType(node)}`);
    return null;
  }

  /** `key:` with nothing after it is an empty mapping; anything else must be a mapping. */
  private expectMapOrEmpty(node: unknown, path: string, pos: SourcePos | undefined): YAMLMap | null {
    if (isEmptyValue(node)) return null;
    return this.expectMap(node, path, pos);
  }
}
