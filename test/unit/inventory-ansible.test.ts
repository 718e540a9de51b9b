import { describe, it, expect } from 'vitest';
import { FileProblemError } from '../../src/core/errors.js';
import type { FileProblem } from '../../src/core/errors.js';
import { pythonLiteral, splitShellWords } from '../../src/inventory/ansible-ini.js';
import { ansibleBoolean } from '../../src/inventory/ansible-model.js';
import { readAnsibleIni, readAnsibleYaml } from '../../src/inventory/ansible.js';
import { expandHostPattern } from '../../src/inventory/host-patterns.js';
import type { Inventory, InventoryHost } from '../../src/inventory/model.js';

function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}

function problemsOf(read: () => Inventory): FileProblem[] {
  try {
    read();
  } catch (error) {
    if (error instanceof FileProblemError) return error.problems;
    throw error;
  }
  throw new Error('expected the inventory to be refused');
}

function iniProblems(text: string): Array<Omit<FileProblem, 'file'>> {
  return problemsOf(() => readAnsibleIni(text, 'hosts.ini', 'c')).map(({ file: _file, ...rest }) => rest);
}

function yamlProblems(text: string): Array<Omit<FileProblem, 'file'>> {
  return problemsOf(() => readAnsibleYaml(text, 'hosts.yml', 'c')).map(({ file: _file, ...rest }) => rest);
}

function hostsOf(inv: Inventory): InventoryHost[] {
  expect(inv.clusters).toHaveLength(1);
  return inv.clusters[0]?.hosts ?? [];
}

function host(inv: Inventory, name: string): InventoryHost {
  const found = hostsOf(inv).find((h) => h.name === name);
  if (found === undefined) throw new Error(`no host ${name}`);
  return found;
}

/** The same inventory in both syntaxes: children, ranges, every ansible_* var, vars at every level. */
const INI_EXAMPLE = lines(
  '# comment',
  '; another comment',
  'bastion.example.com ansible_port=2200',
  '',
  '[all:vars]',
  'ansible_user=deploy',
  'ntp_server=10.0.0.1',
  '',
  '[web]',
  'web[01:20].example.com',
  'web05.example.com ansible_host=10.0.1.5 role="front door" weight=5',
  '',
  '[db]',
  'db-a ansible_host=10.0.2.1 ansible_user=postgres ansible_become=True',
  'db-b ansible_host=10.0.2.2 ansible_ssh_private_key_file=~/.ssh/db ansible_become=yes',
  '10.0.2.3:2222 ansible_become=1',
  '',
  '[frontend:children]',
  'web',
  '',
  '[prod:children]',
  'frontend   # the public part',
  'db',
  '',
  '[prod:vars]',
  'env=prod',
  'tier=gold',
  'weight=1',
  '',
  '[web:vars]',
  'tier=silver',
);

const YAML_EXAMPLE = lines(
  'all:',
  '  hosts:',
  '    bastion.example.com: { ansible_port: 2200 }',
  '  vars:',
  '    ansible_user: deploy',
  '    ntp_server: 10.0.0.1',
  '  children:',
  '    prod:',
  '      vars: { env: prod, tier: gold, weight: 1 }',
  '      children:',
  '        frontend:',
  '          children:',
  '            web:',
  '              hosts:',
  '                web[01:20].example.com:',
  '                web05.example.com: { ansible_host: 10.0.1.5, role: front door, weight: 5 }',
  '              vars: { tier: silver }',
  '        db:',
  '          hosts:',
  '            db-a: { ansible_host: 10.0.2.1, ansible_user: postgres, ansible_become: True }',
  '            db-b: { ansible_host: 10.0.2.2, ansible_ssh_private_key_file: ~/.ssh/db, ansible_become: yes }',
  '            10.0.2.3:2222: { ansible_become: 1 }',
);

describe.each([
  ['INI', () => readAnsibleIni(INI_EXAMPLE, 'hosts.ini', 'legacy'), 'ansible-ini'],
  ['YAML', () => readAnsibleYaml(YAML_EXAMPLE, 'hosts.yml', 'legacy'), 'ansible-yaml'],
] as const)('Ansible %s inventory', (_syntax, read, format) => {
  it('becomes one cluster of that name, in that format', () => {
    const inv = read();
    expect(inv.format).toBe(format);
    expect(inv.clusters.map((c) => c.name)).toEqual(['legacy']);
  });

  it('lists a host named in several groups once; expands web[01:20] to web01..web20', () => {
    const names = hostsOf(read()).map((h) => h.name);
    expect(names).toHaveLength(1 + 20 + 3);
    expect(new Set(names).size).toBe(names.length);
    const web = names.filter((n) => n.startsWith('web'));
    expect(web).toEqual(Array.from({ length: 20 }, (_, i) => `web${String(i + 1).padStart(2, '0')}.example.com`));
  });

  it('gives every group a host is in, directly or through children, as a bare label', () => {
    const inv = read();
    expect(host(inv, 'web05.example.com').labels).toEqual({ web: '', frontend: '', prod: '' });
    expect(host(inv, 'db-a').labels).toEqual({ db: '', prod: '' });
    expect(host(inv, 'bastion.example.com').labels).toEqual({});
  });

  it('maps ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file and ansible_become', () => {
    const inv = read();
    expect(host(inv, 'web05.example.com')).toMatchObject({ ip: '10.0.1.5', ssh: {} });
    expect(host(inv, 'web01.example.com')).toMatchObject({ ip: 'web01.example.com', ssh: {} });
    expect(host(inv, 'bastion.example.com')).toMatchObject({ ip: 'bastion.example.com', ssh: { port: 2200 } });
    expect(host(inv, 'db-a')).toMatchObject({ ip: '10.0.2.1', ssh: { user: 'postgres', become: true } });
    expect(host(inv, 'db-b')).toMatchObject({ ip: '10.0.2.2', ssh: { key: '~/.ssh/db', become: true } });
    expect(host(inv, '10.0.2.3')).toMatchObject({ ip: '10.0.2.3', ssh: { port: 2222, become: true } });
    for (const h of hostsOf(inv)) expect(Object.keys(h.vars).filter((k) => k.startsWith('ansible_'))).toEqual([]);
  });

  it("puts the all group's vars into the defaults", () => {
    expect(read().defaults).toEqual({ ssh: { user: 'deploy' }, vars: { ntp_server: '10.0.0.1' } });
  });

  it('merges vars: child groups beat parent groups, host vars beat group vars', () => {
    const inv = read();
    expect(host(inv, 'web05.example.com').vars).toEqual({ env: 'prod', tier: 'silver', weight: 5, role: 'front door' });
    expect(host(inv, 'web01.example.com').vars).toEqual({ env: 'prod', tier: 'silver', weight: 1 });
    expect(host(inv, 'db-a').vars).toEqual({ env: 'prod', tier: 'gold', weight: 1 });
  });
});

describe('Ansible inventories: precedence details', () => {
  it('orders groups of the same depth by name, then lets ansible_group_priority override that', () => {
    const text = lines('[a]', 'h1', '[b]', 'h1', '[a:vars]', 'x=from_a', '[b:vars]', 'x=from_b');
    expect(host(readAnsibleIni(text, 'f', 'c'), 'h1').vars.x).toBe('from_b');
    const prioritised = `${text}[a:vars]\nansible_group_priority=10\n`;
    expect(host(readAnsibleIni(prioritised, 'f', 'c'), 'h1').vars.x).toBe('from_a');
  });

  it('lets a deeper group win even when it is defined first', () => {
    const text = lines('[child:vars]', 'x=child', '[child]', 'h1', '[parent:children]', 'child', '[parent:vars]', 'x=parent');
    expect(host(readAnsibleIni(text, 'f', 'c'), 'h1').vars.x).toBe('child');
  });

  it('takes ssh settings from group vars, the more specific winning, and old ansible_ssh_* spellings', () => {
    const text = lines('[all:vars]', 'ansible_port=22', '[web]', 'w1', 'w2 ansible_ssh_port=2202 ansible_ssh_host=10.9.9.9', '[web:vars]', 'ansible_port=2200', 'ansible_become=false');
    const inv = readAnsibleIni(text, 'f', 'c');
    expect(inv.defaults.ssh).toEqual({ port: 22 });
    expect(host(inv, 'w1').ssh).toEqual({ port: 2200, become: false });
    expect(host(inv, 'w2')).toMatchObject({ ip: '10.9.9.9', ssh: { port: 2202, become: false } });
  });

  it('reads YAML 1.1 booleans (yes/no) the way Ansible does', () => {
    const inv = readAnsibleYaml(lines('all:', '  hosts:', '    h1: { ansible_become: no, flag: on }'), 'f', 'c');
    expect(host(inv, 'h1')).toMatchObject({ ssh: { become: false }, vars: { flag: true } });
  });

  it('accepts top-level groups besides all, and groups that only have children', () => {
    const inv = readAnsibleYaml(lines('web:', '  hosts: { w1: }', 'prod:', '  children: { web: }'), 'f', 'c');
    expect(host(inv, 'w1').labels).toEqual({ web: '', prod: '' });
  });

  it('reads an empty inventory as a cluster without hosts', () => {
    expect(hostsOf(readAnsibleIni('# nothing yet\n', 'f', 'c'))).toEqual([]);
    expect(hostsOf(readAnsibleYaml('', 'f', 'c'))).toEqual([]);
  });

  it('accepts a child group that is never defined, as Ansible does', () => {
    const inv = readAnsibleIni(lines('[prod:children]', 'ghost', '[web]', 'w1'), 'f', 'c');
    expect(host(inv, 'w1').labels).toEqual({ web: '' });
  });
});

describe('expandHostPattern', () => {
  it.each([
    ['web[01:03].example.com', ['web01.example.com', 'web02.example.com', 'web03.example.com']],
    ['db[a:f]', ['dba', 'dbb', 'dbc', 'dbd', 'dbe', 'dbf']],
    ['x[1:10:2]', ['x1', 'x3', 'x5', 'x7', 'x9']],
    ['n[:2]', ['n0', 'n1', 'n2']],
    ['r[1:2]-[a:b]', ['r1-a', 'r1-b', 'r2-a', 'r2-b']],
    ['10.0.0.[1:3]', ['10.0.0.1', '10.0.0.2', '10.0.0.3']],
    ['plain', ['plain']],
    ['2001:db8::1', ['2001:db8::1']],
  ])('expands %s', (pattern, hosts) => {
    expect(expandHostPattern(pattern)).toEqual({ hosts });
  });

  it('reads a :port suffix, also after ranges and on bracketed IPv6', () => {
    expect(expandHostPattern('web1:2222')).toEqual({ hosts: ['web1'], port: 2222 });
    expect(expandHostPattern('web[1:2]:2222')).toEqual({ hosts: ['web1', 'web2'], port: 2222 });
    expect(expandHostPattern('[2001:db8::1]:2222')).toEqual({ hosts: ['2001:db8::1'], port: 2222 });
  });

  it.each([
    ['web[1:3', "host range '[' is never closed with ']'", 3],
    ['web]1', "']' without a matching '['", 3],
    ['web[1]', 'host range [1] must be [start:end] or [start:end:step]', 3],
    ['web[1:]', 'host range [1:] has no end value', 3],
    ['web[5:1]', 'host range [5:1] goes backwards; write the first value first', 3],
    ['web[01:100]', 'host range [01:100] is zero-padded, so start and end must have the same number of digits', 3],
    ['web[1:9:0]', "host range [1:9:0] has step '0'; it must be a whole number of at least 1", 3],
    ['web[a:9]', 'host range [a:9] must go between two numbers (01:20) or two single letters (a:f)', 3],
    ['a[1:2]b[x:z', "host range '[' is never closed with ']'", 7],
    ['w[1:1000]x[1:1000]', 'host range expands to more than 100000 hosts', 1],
  ])('refuses %s', (pattern, message, offset) => {
    expect(expandHostPattern(pattern)).toEqual({ message, offset });
  });
});

describe('INI syntax helpers', () => {
  it('splits words like shlex: quotes group, backslash escapes, # ends the line', () => {
    expect(splitShellWords(`h1 a="x y" b='p q' c=d\\ e # comment`)).toEqual([
      { text: 'h1', index: 0 },
      { text: 'a=x y', index: 3 },
      { text: 'b=p q', index: 11 },
      { text: 'c=d e', index: 19 },
    ]);
    expect(splitShellWords('h1 a="oops')).toEqual({ message: 'unterminated " quote', index: 5 });
  });

  it('types values like Python literals', () => {
    expect(pythonLiteral('22')).toBe(22);
    expect(pythonLiteral('-1.5')).toBe(-1.5);
    expect(pythonLiteral('022')).toBe('022');
    expect(pythonLiteral('True')).toBe(true);
    expect(pythonLiteral('true')).toBe('true');
    expect(pythonLiteral('None')).toBeNull();
    expect(pythonLiteral('"quoted value"')).toBe('quoted value');
    expect(pythonLiteral("'22'")).toBe('22');
    expect(pythonLiteral('[1, "a"]')).toEqual([1, 'a']);
    expect(pythonLiteral('{"k": 1}')).toEqual({ k: 1 });
    expect(pythonLiteral('[not json')).toBe('[not json');
    expect(pythonLiteral('10.0.0.1')).toBe('10.0.0.1');
  });

  it('reads ansible_become the way Ansible does', () => {
    for (const yes of [true, 1, 'true', 'True', 'yes', 'YES', '1', 'on', 'y']) expect(ansibleBoolean(yes)).toBe(true);
    for (const no of [false, 0, 'false', 'False', 'no', '0', 'off', 'n']) expect(ansibleBoolean(no)).toBe(false);
    for (const bad of ['maybe', 2, null, '']) expect(ansibleBoolean(bad)).toBeNull();
  });
});

describe('Ansible INI problems, with line and column', () => {
  it('reports a bad section header', () => {
    expect(iniProblems(lines('[web', 'w1'))).toEqual([
      { line: 1, col: 1, message: "bad section header '[web': write [group], [group:vars] or [group:children], without spaces" },
    ]);
    expect(iniProblems(lines('  [web servers]'))).toEqual([
      { line: 1, col: 3, message: "bad section header '[web servers]': write [group], [group:vars] or [group:children], without spaces" },
    ]);
    expect(iniProblems(lines('[web:kids]'))).toEqual([
      { line: 1, col: 1, message: "unknown section type ':kids' in '[web:kids]'; expected :vars or :children" },
    ]);
  });

  it('reports a bad range at its bracket', () => {
    expect(iniProblems(lines('[web]', 'w1', '  web[5:1].example.com ansible_user=x'))).toEqual([
      { line: 3, col: 6, path: '[web]', message: 'host range [5:1] goes backwards; write the first value first' },
    ]);
  });

  it('reports malformed key=value in host lines and vars sections', () => {
    expect(iniProblems(lines('[web]', 'w1 ansible_port=22 oops', '[web:vars]', 'novalue', ' = x'))).toEqual([
      { line: 2, col: 20, path: '[web]', message: "expected key=value after the host name, got 'oops'" },
      { line: 4, col: 1, path: '[web:vars]', message: "expected key=value, got 'novalue'" },
      { line: 5, col: 2, path: '[web:vars]', message: "expected key=value, got '= x'" },
    ]);
  });

  it('reports an unterminated quote', () => {
    expect(iniProblems(lines('[web]', "w1 motd='hello"))).toEqual([
      { line: 2, col: 9, path: '[web]', message: "unterminated ' quote" },
    ]);
  });

  it('reports a cycle of child groups where it closes', () => {
    expect(iniProblems(lines('[a:children]', 'b', '[b:children]', 'c', '[c:children]', 'a', '[a]', 'h1'))).toEqual([
      { line: 6, col: 1, path: '[c:children].a', message: "group 'a' is its own descendant: a -> b -> c -> a" },
    ]);
  });

  it('reports group names that cannot be labels', () => {
    expect(iniProblems(lines('[web]', 'w1', '[_private]', 'w2', '[prod:children]', 'web', 'x.'))).toEqual([
      { line: 3, col: 2, path: '[_private]', message: "group '_private' cannot become a label: label key '_private' is not valid: use letters, digits, '-', '_' and '.', starting and ending with a letter or digit" },
      { line: 7, col: 1, path: '[prod:children].x.', message: "group 'x.' cannot become a label: label key 'x.' is not valid: use letters, digits, '-', '_' and '.', starting and ending with a letter or digit" },
    ]);
  });

  it('reports vars for a group that is never defined', () => {
    expect(iniProblems(lines('[web]', 'w1', '[wbe:vars]', 'x=1'))).toEqual([
      { line: 3, col: 2, path: '[wbe:vars]', message: "[wbe:vars] sets vars for group 'wbe', which is never defined" },
    ]);
  });

  it('reports hosts that cannot be reached and connection vars that cannot work', () => {
    expect(
      iniProblems(
        lines(
          '[web]',
          'not_a_host!',
          'w2 ansible_host=bad/host',
          'w3 ansible_port=99999',
          'w4 ansible_become=maybe',
          'w5 ansible_user="{{ vault_user }}"',
        ),
      ),
    ).toEqual([
      { line: 2, col: 1, path: '[web].not_a_host!', message: "host 'not_a_host!' has no ansible_host and its name is not an IP address or DNS name" },
      { line: 3, col: 4, path: '[web].w2.ansible_host', message: "ansible_host 'bad/host' of host 'w2' is not an IP address or DNS name" },
      { line: 4, col: 4, path: '[web].w3.ansible_port', message: "ansible_port of host 'w3' is not valid: port must be a whole number between 1 and 65535, not '99999'" },
      { line: 5, col: 4, path: '[web].w4.ansible_become', message: "ansible_become of host 'w4' must be true or false (or yes/no, 1/0), not 'maybe'" },
      { line: 6, col: 4, path: '[web].w5.ansible_user', message: "ansible_user of host 'w5' is a Jinja template ('{{ vault_user }}'); promanager does not evaluate templates, write the value itself" },
    ]);
  });

  it('reports a bad value written for a group once, not for every host in it', () => {
    expect(iniProblems(lines('[web]', 'w[1:50]', '[web:vars]', 'ansible_become=sometimes'))).toEqual([
      { line: 4, col: 16, path: '[web:vars].ansible_become', message: "ansible_become must be true or false (or yes/no, 1/0), not 'sometimes'" },
    ]);
  });

  it('reports two hosts on one address, naming both', () => {
    expect(iniProblems(lines('[web]', 'w1 ansible_host=10.0.0.1', '[db]', 'd1 ansible_host=10.0.0.1'))).toEqual([
      { line: 4, col: 1, path: '[db].d1.ip', message: 'duplicate host IP 10.0.0.1: also used by [web].w1 (line 2)' },
    ]);
  });
});

describe('Ansible YAML problems, with line and column', () => {
  it('reports YAML syntax errors', () => {
    const [problem, ...rest] = yamlProblems(lines('all:', '  hosts:', '    h1: { ansible_port: 22', 'x: 1'));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ line: 4, col: 1 });
    expect(problem?.message).toMatch(/^YAML syntax error: /);
  });

  it('suggests hosts for host', () => {
    expect(yamlProblems(lines('all:', '  children:', '    web:', '      host:', '        w1:'))).toEqual([
      { line: 4, col: 7, path: 'all.children.web.host', message: "unknown key 'host' in group 'web'; did you mean 'hosts'?" },
    ]);
  });

  it('reports hosts written as a list', () => {
    expect(yamlProblems(lines('all:', '  hosts:', '    - w1'))).toEqual([
      {
        line: 3,
        col: 5,
        path: 'all.hosts',
        message: 'hosts must be a mapping of host names, each with its vars or nothing (web-1: or web-1: { ansible_port: 22 }), not a list',
      },
    ]);
  });

  it('reports a bad range at its bracket, also in quoted keys', () => {
    expect(yamlProblems(lines('all:', '  hosts:', '    web[3:1]:', '    "db[1:x]":'))).toEqual([
      { line: 3, col: 8, path: 'all.hosts.web[3:1]', message: 'host range [3:1] goes backwards; write the first value first' },
      { line: 4, col: 8, path: 'all.hosts.db[1:x]', message: 'host range [1:x] must go between two numbers (01:20) or two single letters (a:f)' },
    ]);
  });

  it('reports a child cycle and group names that cannot be labels', () => {
    expect(
      yamlProblems(lines('all:', '  children:', '    a:', '      children:', '        b:', '          children:', '            a:', '    "bad group":', '      hosts: { h1: }')),
    ).toEqual([
      { line: 8, col: 5, path: 'all.children.bad group', message: "group 'bad group' cannot become a label: label key 'bad group' is not valid: use letters, digits, '-', '_' and '.', starting and ending with a letter or digit" },
      { line: 7, col: 13, path: 'all.children.a.children.b.children.a', message: "group 'a' is its own descendant: a -> b -> a" },
    ]);
  });

  it('reports a bad ansible_port at the value', () => {
    expect(yamlProblems(lines('all:', '  hosts:', '    h1:', '      ansible_port: twenty-two'))).toEqual([
      { line: 4, col: 21, path: 'all.hosts.h1.ansible_port', message: "ansible_port of host 'h1' is not valid: port must be a whole number between 1 and 65535, not 'twenty-two'" },
    ]);
  });
});

describe('Ansible INI performance', () => {
  it('reads a 1,000-host inventory in well under a second', () => {
    const sections: string[] = [];
    for (let group = 0; group < 10; group++) {
      sections.push(`[group${group}]`);
      for (let i = 0; i < 100; i++) {
        const n = group * 100 + i;
        sections.push(`host${n}.example.com ansible_host=10.${group}.${Math.floor(i / 250)}.${(i % 250) + 1} ansible_port=22 rack=r${i % 7}`);
      }
      sections.push(`[group${group}:vars]`, `zone=z${group}`, 'ansible_user=ops');
    }
    sections.push('[prod:children]', ...Array.from({ length: 10 }, (_, g) => `group${g}`), '[prod:vars]', 'env=prod');
    const text = lines(...sections);

    const started = performance.now();
    const inv = readAnsibleIni(text, 'big.ini', 'big');
    const elapsed = performance.now() - started;

    expect(hostsOf(inv)).toHaveLength(1000);
    expect(host(inv, 'host999.example.com')).toMatchObject({
      ip: '10.9.0.100',
      labels: { group9: '', prod: '' },
      vars: { rack: 'r1', zone: 'z9', env: 'prod' },
      ssh: { port: 22, user: 'ops' },
    });
    expect(elapsed).toBeLessThan(1000);
  });
});
