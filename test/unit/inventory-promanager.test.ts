import { describe, it, expect } from 'vitest';
import { FileProblemError } from '../../src/core/errors.js';
import type { FileProblem } from '../../src/core/errors.js';
import type { Inventory } from '../../src/inventory/model.js';
import { readPromanagerInventory } from '../../src/inventory/promanager-yaml.js';

const FILE = 'inv.yml';

/** The example of the CLI contract, verbatim. */
const CLI_EXAMPLE = `defaults:                      # optional; every key may be overridden per cluster and per host
  ssh: { user: root, port: 22, key: ~/.ssh/id_ed25519, become: false }
  vars: { prometheus_port: 9090 }
clusters:
  prod-bj:
    description: Beijing production
    labels: { env: prod }      # given to every host of the cluster
    vars: { retention: 15d }
    hosts:
      - { name: prom-1, ip: 10.0.0.11, labels: { role: prometheus, zone: a } }
      - name: node-7
        ip: 10.0.0.17
        labels: { zone: b, gpu: "" }   # "" = a bare label, selected by \`gpu\`
        ssh: { user: ops, become: true }
`;

function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}

/** The problems of a file that must not read. */
function problemsOf(text: string): FileProblem[] {
  try {
    readPromanagerInventory(text, FILE);
  } catch (error) {
    if (error instanceof FileProblemError) return error.problems;
    throw error;
  }
  throw new Error('expected the inventory to be refused');
}

/** The single problem of a file that must not read, without the file name (always FILE). */
function onlyProblem(text: string): Omit<FileProblem, 'file'> {
  const problems = problemsOf(text);
  expect(problems).toHaveLength(1);
  const [problem] = problems;
  expect(problem?.file).toBe(FILE);
  const { file: _file, ...rest } = problem!;
  return rest;
}

describe('readPromanagerInventory: the CLI contract example', () => {
  it('reads to the expected model', () => {
    const expected: Inventory = {
      file: FILE,
      format: 'promanager',
      defaults: {
        ssh: { user: 'root', port: 22, key: '~/.ssh/id_ed25519', become: false },
        vars: { prometheus_port: 9090 },
      },
      clusters: [
        {
          name: 'prod-bj',
          description: 'Beijing production',
          labels: { env: 'prod' },
          vars: { retention: '15d' },
          ssh: {},
          pos: { line: 5, col: 3 },
          hosts: [
            {
              name: 'prom-1',
              ip: '10.0.0.11',
              labels: { role: 'prometheus', zone: 'a' },
              vars: {},
              ssh: {},
              pos: { line: 10, col: 9 },
            },
            {
              name: 'node-7',
              ip: '10.0.0.17',
              labels: { zone: 'b', gpu: '' },
              vars: {},
              ssh: { user: 'ops', become: true },
              pos: { line: 11, col: 9 },
            },
          ],
        },
      ],
    };
    expect(readPromanagerInventory(CLI_EXAMPLE, FILE)).toEqual(expected);
  });

  it('keeps ~/ in ssh.key as written, for whoever connects to expand', () => {
    expect(readPromanagerInventory(CLI_EXAMPLE, FILE).defaults.ssh.key).toBe('~/.ssh/id_ed25519');
  });
});

describe('readPromanagerInventory: values', () => {
  it('names a host after its IP when no name is written', () => {
    const inv = readPromanagerInventory(lines('clusters:', '  c:', '    hosts:', '      - ip: 10.0.0.1'), FILE);
    expect(inv.clusters[0]?.hosts[0]).toMatchObject({ name: '10.0.0.1', ip: '10.0.0.1' });
  });

  it('accepts IPv6 addresses', () => {
    const inv = readPromanagerInventory(lines('clusters:', '  c:', '    hosts:', '      - ip: 2001:db8::5'), FILE);
    expect(inv.clusters[0]?.hosts[0]?.ip).toBe('2001:db8::5');
  });

  it('turns numbers and booleans in label values into text as written, and null or "" into bare labels', () => {
    const inv = readPromanagerInventory(
      lines(
        'clusters:',
        '  c:',
        '    labels: { version: 1.10, replicas: 3, canary: true, gpu: "", ssd: null, nvme: }',
        '    hosts: []',
      ),
      FILE,
    );
    expect(inv.clusters[0]?.labels).toEqual({ version: '1.10', replicas: '3', canary: 'true', gpu: '', ssd: '', nvme: '' });
  });

  it('keeps vars as the YAML values they are, anchors and merge keys resolved', () => {
    const inv = readPromanagerInventory(
      lines(
        'defaults:',
        '  ssh: &ssh { user: ops, port: 2222 }',
        '  vars: { flags: [--a, --b], nested: { x: 1 }, ok: true }',
        'clusters:',
        '  c:',
        '    ssh: { <<: *ssh, port: 22 }',
      ),
      FILE,
    );
    expect(inv.defaults.vars).toEqual({ flags: ['--a', '--b'], nested: { x: 1 }, ok: true });
    expect(inv.clusters[0]?.ssh).toEqual({ user: 'ops', port: 22 });
  });

  it('reads an empty cluster', () => {
    const inv = readPromanagerInventory(lines('clusters:', '  empty:', '  braces: {}'), FILE);
    expect(inv.clusters.map((c) => [c.name, c.hosts.length])).toEqual([
      ['empty', 0],
      ['braces', 0],
    ]);
  });
});

describe('readPromanagerInventory: problems, with line and column', () => {
  it('reports YAML syntax errors where the parser found them', () => {
    const problem = onlyProblem(lines('clusters:', '  prod:', '    hosts:', '      - { name: a, ip: 10.0.0.1', '  dev: {}'));
    expect(problem).toMatchObject({ line: 5, col: 3 });
    expect(problem.message).toMatch(/^YAML syntax error: /);
  });

  it('reports a duplicate YAML key itself', () => {
    expect(onlyProblem(lines('clusters:', '  prod:', '    description: a', '    description: b'))).toEqual({
      line: 4,
      col: 5,
      path: 'clusters.prod.description',
      message: "duplicate key 'description' (first written at line 3)",
    });
  });

  it('reports an empty file', () => {
    expect(onlyProblem('# nothing here\n')).toEqual({
      line: 1,
      col: 1,
      message: "the inventory is empty: expected a top-level 'clusters:' mapping",
    });
  });

  it('suggests the key meant by a misspelt one', () => {
    expect(onlyProblem(lines('clusters:', '  prod:', '    lables: { env: prod }'))).toEqual({
      line: 3,
      col: 5,
      path: 'clusters.prod.lables',
      message: "unknown key 'lables'; did you mean 'labels'?",
    });
    expect(onlyProblem(lines('cluster:', '  prod: {}')).message).toBe("unknown key 'cluster'; did you mean 'clusters'?");
  });

  it('lists the allowed keys when nothing is close', () => {
    expect(onlyProblem(lines('clusters:', '  c:', '    hosts:', '      - { ip: 10.0.0.1, colour: blue }'))).toEqual({
      line: 4,
      col: 25,
      path: 'clusters.c.hosts[0].colour',
      message: "unknown key 'colour'; expected one of: name, ip, labels, vars, ssh",
    });
  });

  it('reports wrong types', () => {
    expect(onlyProblem(lines('clusters:', '  c:', '    hosts: { a: 1 }'))).toEqual({
      line: 3,
      col: 12,
      path: 'clusters.c.hosts',
      message: "hosts must be a list (lines starting with '- '), not a mapping",
    });
    expect(onlyProblem(lines('clusters:', '  c:', '    labels: [a, b]'))).toEqual({
      line: 3,
      col: 13,
      path: 'clusters.c.labels',
      message: 'expected a mapping (key: value), found a list',
    });
    expect(onlyProblem(lines('clusters:', '  c:', '    hosts:', '      - 10.0.0.1'))).toEqual({
      line: 4,
      col: 9,
      path: 'clusters.c.hosts[0]',
      message: 'a host must be a mapping like { name: web-1, ip: 10.0.0.5 }, not a string',
    });
    expect(onlyProblem(lines('clusters:', '  c:', '    description: { a: 1 }'))).toMatchObject({
      line: 3,
      col: 18,
      message: 'description must be text, not a mapping',
    });
    expect(onlyProblem(lines('- a', '- b'))).toEqual({
      line: 1,
      col: 1,
      message: 'expected a mapping (key: value), found a list',
    });
  });

  it('reports a host without ip at the host', () => {
    expect(onlyProblem(lines('clusters:', '  c:', '    hosts:', '      - { name: web-1 }'))).toEqual({
      line: 4,
      col: 9,
      path: 'clusters.c.hosts[0]',
      message: "host 'web-1' has no 'ip'",
    });
  });

  it('reports an invalid IP address at the value', () => {
    expect(onlyProblem(lines('clusters:', '  c:', '    hosts:', '      - name: a', '        ip: 10.0.0.300'))).toEqual({
      line: 5,
      col: 13,
      path: 'clusters.c.hosts[0].ip',
      message: "'10.0.0.300' is not an IPv4 or IPv6 address (nor a DNS name)",
    });
    expect(onlyProblem(lines('clusters:', '  c:', '    hosts:', '      - { ip: -web_1..example }')).message).toBe(
      "'-web_1..example' is not an IPv4 or IPv6 address (nor a DNS name)",
    );
    // A DNS name is an address SSH can use, as in Ansible inventories.
    expect(readPromanagerInventory(lines('clusters:', '  c:', '    hosts:', '      - { ip: web-1.example.com }'), FILE).clusters[0]!.hosts[0]!.ip).toBe('web-1.example.com');
  });

  it('reports invalid label keys at the key and values at the value', () => {
    const problems = problemsOf(
      lines('clusters:', '  c:', '    hosts:', '      - { ip: 10.0.0.1, labels: { -bad: x, zone: "a b", ok: [1] } }'),
    );
    expect(problems.map(({ line, col, path }) => ({ line, col, path }))).toEqual([
      { line: 4, col: 35, path: 'clusters.c.hosts[0].labels.-bad' },
      { line: 4, col: 50, path: 'clusters.c.hosts[0].labels.zone' },
      { line: 4, col: 61, path: 'clusters.c.hosts[0].labels.ok' },
    ]);
    expect(problems[0]?.message).toMatch(/^label key '-bad' is not valid/);
    expect(problems[1]?.message).toMatch(/^label value 'a b' is not valid/);
    expect(problems[2]?.message).toBe(
      'a label value must be a string, number, true/false or "" (a bare label), not a list',
    );
  });

  it('reports invalid ports and become values', () => {
    const problems = problemsOf(
      lines('defaults:', '  ssh: { port: 70000 }', 'clusters:', '  c:', '    ssh:', '      port: ssh', '      become: yes'),
    );
    expect(problems).toEqual([
      { file: FILE, line: 2, col: 16, path: 'defaults.ssh.port', message: "port must be a whole number between 1 and 65535, not '70000'" },
      { file: FILE, line: 6, col: 13, path: 'clusters.c.ssh.port', message: "port must be a whole number between 1 and 65535, not 'ssh'" },
      { file: FILE, line: 7, col: 15, path: 'clusters.c.ssh.become', message: "become must be true or false, not 'yes'" },
    ]);
  });

  it('reports a duplicate IP across clusters, naming both places', () => {
    const problem = onlyProblem(
      lines(
        'clusters:',
        '  a:',
        '    hosts:',
        '      - { name: one, ip: 10.0.0.1 }',
        '  b:',
        '    hosts:',
        '      - { name: two, ip: 10.0.0.2 }',
        '      - { name: three, ip: 10.0.0.1 }',
      ),
    );
    expect(problem).toEqual({
      line: 8,
      col: 28,
      path: 'clusters.b.hosts[1].ip',
      message: 'duplicate host IP 10.0.0.1: also used by clusters.a.hosts[0] (line 4)',
    });
  });

  it('treats two spellings of one IPv6 address as the same address', () => {
    const problem = onlyProblem(
      lines('clusters:', '  a:', '    hosts:', '      - { name: x, ip: "2001:db8::1" }', '      - { name: y, ip: "2001:DB8:0::1" }'),
    );
    expect(problem.message).toBe('duplicate host IP 2001:DB8:0::1: also used by clusters.a.hosts[0] (line 4)');
  });

  it('reports a duplicate host name, naming both places', () => {
    expect(
      onlyProblem(lines('clusters:', '  a:', '    hosts:', '      - { name: web, ip: 10.0.0.1 }', '      - { name: web, ip: 10.0.0.2 }')),
    ).toEqual({
      line: 5,
      col: 17,
      path: 'clusters.a.hosts[1].name',
      message: "duplicate host name 'web': also used by clusters.a.hosts[0] (line 4)",
    });
  });

  it('reports a duplicate IP of unnamed hosts once, not again as a duplicate name', () => {
    const problems = problemsOf(lines('clusters:', '  a:', '    hosts:', '      - ip: 10.0.0.1', '      - ip: 10.0.0.1'));
    expect(problems.map((p) => p.message)).toEqual(['duplicate host IP 10.0.0.1: also used by clusters.a.hosts[0] (line 4)']);
  });

  it('reports duplicate and invalid cluster names', () => {
    const problems = problemsOf(lines('clusters:', '  prod: {}', '  prod: {}', '  "prod bj": {}', '  -dev: {}'));
    expect(problems).toEqual([
      { file: FILE, line: 3, col: 3, path: 'clusters.prod', message: "duplicate cluster 'prod' (first written at line 2)" },
      {
        file: FILE,
        line: 4,
        col: 3,
        path: 'clusters.prod bj',
        message: "cluster name 'prod bj' is not valid: use up to 63 letters, digits, '.', '_' and '-', starting with a letter or digit",
      },
      {
        file: FILE,
        line: 5,
        col: 3,
        path: 'clusters.-dev',
        message: "cluster name '-dev' is not valid: use up to 63 letters, digits, '.', '_' and '-', starting with a letter or digit",
      },
    ]);
  });

  it('collects every problem into one error whose message lists them', () => {
    let caught: unknown;
    try {
      readPromanagerInventory(
        lines(
          'defaults:',
          '  shh: {}',
          'clusters:',
          '  prod:',
          '    hosts:',
          '      - { name: a }',
          '      - { ip: 1.2.3 }',
          '      - { ip: 10.0.0.1, ssh: { port: 0 } }',
        ),
        FILE,
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FileProblemError);
    const error = caught as FileProblemError;
    expect(error.problems).toHaveLength(4);
    expect(error.message.split('\n')).toEqual([
      `inventory ${FILE} has 4 problems`,
      `  ${FILE}:2:3: defaults.shh: unknown key 'shh'; did you mean 'ssh'?`,
      `  ${FILE}:6:9: clusters.prod.hosts[0]: host 'a' has no 'ip'`,
      `  ${FILE}:7:15: clusters.prod.hosts[1].ip: '1.2.3' is not an IPv4 or IPv6 address (nor a DNS name)`,
      `  ${FILE}:8:38: clusters.prod.hosts[2].ssh.port: port must be a whole number between 1 and 65535, not '0'`,
    ]);
    expect(error.exitCode).toBe(1);
  });

  it('says "1 problem" for one', () => {
    expect(() => readPromanagerInventory(lines('clusters:', '  c:', '    lables: {}'), FILE)).toThrow(
      /^inventory inv\.yml has 1 problem\n/,
    );
  });
});
