import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { readAnsibleIni } from '../../src/inventory/ansible.js';
import type { Inventory } from '../../src/inventory/model.js';
import { readPromanagerInventory } from '../../src/inventory/promanager-yaml.js';
import { writePromanagerYaml } from '../../src/inventory/write.js';

const FILE = 'inv.yml';

/** The inventory without source positions, which depend on layout and are not part of the content. */
function content(inv: Inventory): Omit<Inventory, 'file' | 'format'> {
  return {
    defaults: inv.defaults,
    clusters: inv.clusters.map(({ pos: _pos, ...cluster }) => ({
      ...cluster,
      hosts: cluster.hosts.map(({ pos: _hostPos, ...host }) => host),
    })),
  };
}

function roundTrip(inv: Inventory): Inventory {
  return readPromanagerInventory(writePromanagerYaml(inv), FILE);
}

const CLI_EXAMPLE = `defaults:
  ssh: { user: root, port: 22, key: ~/.ssh/id_ed25519, become: false }
  vars: { prometheus_port: 9090 }
clusters:
  prod-bj:
    description: Beijing production
    labels: { env: prod }
    vars: { retention: 15d }
    hosts:
      - { name: prom-1, ip: 10.0.0.11, labels: { role: prometheus, zone: a } }
      - name: node-7
        ip: 10.0.0.17
        labels: { zone: b, gpu: "" }
        ssh: { user: ops, become: true }
`;

describe('writePromanagerYaml', () => {
  it('writes the CLI contract example back in the same layout', () => {
    const written = writePromanagerYaml(readPromanagerInventory(CLI_EXAMPLE, FILE));
    expect(written).toBe(
      CLI_EXAMPLE.replace(
        /- name: node-7\n.*\n.*\n.*\n/,
        '- { name: node-7, ip: 10.0.0.17, labels: { zone: b, gpu: "" }, ssh: { user: ops, become: true } }\n',
      ),
    );
  });

  it('round-trips the CLI contract example', () => {
    const inv = readPromanagerInventory(CLI_EXAMPLE, FILE);
    expect(content(roundTrip(inv))).toEqual(content(inv));
  });

  it('round-trips inventory/example.yml', () => {
    const inv = readPromanagerInventory(readFileSync('inventory/example.yml', 'utf8'), FILE);
    expect(content(roundTrip(inv))).toEqual(content(inv));
  });

  it('round-trips awkward values: number-like labels, nested vars, IPv6, long hosts, empty clusters', () => {
    const inv: Inventory = {
      file: FILE,
      format: 'promanager',
      defaults: { ssh: {}, vars: { 'dotted.name': 'x', list: [1, 'two', { three: 3 }], empty_map: {}, nothing: null } },
      clusters: [
        {
          name: 'c1',
          description: 'with: a colon, # and a hash',
          labels: { version: '1.10', enabled: 'true', count: '007', bare: '' },
          vars: { flags: '--a --b', yes_string: 'yes', multi: 'line one\nline two' },
          ssh: { user: 'ops', port: 2222, key: '~/keys/id', become: true },
          hosts: [
            { name: 'h1', ip: '2001:db8::1', labels: {}, vars: {}, ssh: {} },
            { name: '10.0.0.2', ip: '10.0.0.2', labels: { 'example.com/role': 'db' }, vars: {}, ssh: { port: 22 } },
            {
              name: 'a-host-with-a-rather-long-name.example.com',
              ip: '10.0.0.3',
              labels: { role: 'prometheus', zone: 'a', tier: 'gold', rack: 'r12' },
              vars: { prometheus_flags: '--storage.tsdb.retention.size=500GB --web.enable-lifecycle', n: 1.5 },
              ssh: { user: 'root', become: false },
            },
          ],
        },
        { name: 'empty', description: '', labels: {}, vars: {}, ssh: {}, hosts: [] },
      ],
    };
    expect(content(roundTrip(inv))).toEqual(content(inv));
  });

  it('writes bare labels as "" and leaves out what is empty', () => {
    const inv = readPromanagerInventory(
      'clusters:\n  c:\n    description: ""\n    labels: {}\n    hosts:\n      - { ip: 10.0.0.1, labels: { gpu: "" }, vars: {} }\n',
      FILE,
    );
    expect(writePromanagerYaml(inv)).toBe('clusters:\n  c:\n    hosts:\n      - { ip: 10.0.0.1, labels: { gpu: "" } }\n');
  });

  it('writes long hosts as block maps', () => {
    const longFlags = '--collector.systemd --collector.processes --collector.tcpstat --web.max-requests=40';
    const inv = readPromanagerInventory(
      `clusters:\n  c:\n    hosts:\n      - { name: n, ip: 10.0.0.1, labels: { zone: b }, vars: { node_exporter_flags: "${longFlags}" } }\n`,
      FILE,
    );
    expect(writePromanagerYaml(inv)).toBe(
      [
        'clusters:',
        '  c:',
        '    hosts:',
        '      - name: n',
        '        ip: 10.0.0.1',
        '        labels: { zone: b }',
        '        vars:',
        `          node_exporter_flags: ${longFlags}`,
        '',
      ].join('\n'),
    );
  });

  it('round-trips an Ansible inventory into promanager format', () => {
    const ansible = readAnsibleIni(
      '[all:vars]\nansible_user=ops\n[web]\n10.0.0.1\n10.0.0.2 ansible_port=2222 tier=1\n[db]\n10.0.0.3 ansible_become=yes\n',
      'hosts.ini',
      'legacy',
    );
    expect(content(roundTrip(ansible))).toEqual(content(ansible));
  });
});
