import { execFileSync, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromanagerError } from '../../src/core/errors.js';
import {
  fingerprintSha256,
  hostMatches,
  keyTypeOfBlob,
  knownHostName,
  knownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  verifyHostKey,
  type HostKeyVerdict,
  type KnownHostEntry,
  type PinnedKey,
} from '../../src/remote/knownhosts.js';

interface TestKey {
  pubFile: string;
  keyType: string;
  base64: string;
  blob: Buffer;
  /** "keytype base64", the tail of a known_hosts line. */
  text: string;
  fingerprint: string;
}

let workDir: string;
let edA: TestKey;
let edB: TestKey;
let edC: TestKey;
let edRevoked: TestKey;
let rsaA: TestKey;
let rsaB: TestKey;
let ecdsaA: TestKey;

/** A real key pair from ssh-keygen, so blobs and fingerprints are exactly what OpenSSH produces. */
function generateKey(name: string, type: 'ed25519' | 'rsa' | 'ecdsa'): TestKey {
  const privateFile = join(workDir, name);
  const sizeArgs = type === 'rsa' ? ['-b', '2048'] : [];
  execFileSync('ssh-keygen', ['-q', '-t', type, ...sizeArgs, '-N', '', '-C', `${name}@test`, '-f', privateFile]);
  const pubFile = `${privateFile}.pub`;
  const [keyType, base64] = readFileSync(pubFile, 'utf8').trim().split(' ');
  if (keyType === undefined || base64 === undefined) throw new Error(`unexpected ${pubFile}`);
  return { pubFile, keyType, base64, blob: Buffer.from(base64, 'base64'), text: `${keyType} ${base64}`, fingerprint: '' };
}

/** The fingerprint ssh-keygen itself prints: `256 SHA256:xxxx comment (ED25519)`. */
function sshKeygenFingerprint(pubFile: string): string {
  const output = execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' });
  const field = output.trim().split(' ')[1];
  if (field === undefined) throw new Error(`unexpected ssh-keygen -lf output: ${output}`);
  return field;
}

/** OpenSSH's hashed form of a name, computed here independently of the implementation. */
function hashName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

/** A fabricated blob that only carries a type name, for types ssh-keygen cannot make here. */
function blobOfType(keyType: string): Buffer {
  const name = Buffer.from(keyType, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, randomBytes(32)]);
}

// The main fixture: each line is named so the tests can refer to line numbers without counting by hand.
interface FixtureLine {
  name: string;
  text: () => string;
}
const fixtureLines: FixtureLine[] = [
  { name: 'heading', text: () => '# fleet known hosts, written by hand' },
  { name: 'blank', text: () => '' },
  { name: 'plain', text: () => `10.0.0.1 ${edA.text} prod bastion` },
  { name: 'bracketed', text: () => `[10.0.0.1]:2222 ${edB.text}` },
  { name: 'comma list', text: () => `10.0.0.2,10.0.0.3,Web.Example ${rsaA.text}` },
  { name: 'whitespace only', text: () => '   \t ' },
  { name: 'wildcard with negation', text: () => `10.1.*,!10.1.0.66 ${edA.text}` },
  { name: 'question mark', text: () => `10.2.0.? ${edB.text}` },
  { name: 'revoked everywhere', text: () => `@revoked * ${edRevoked.text}` },
  { name: 'also lists the revoked key', text: () => `10.0.0.4 ${edRevoked.text}` },
  { name: 'cert authority', text: () => `@cert-authority *.example,10.0.0.1 ${edC.text}` },
  { name: 'indented comment', text: () => '   # comments may be indented' },
  { name: 'malformed', text: () => 'this line is malformed' },
  { name: 'hashed', text: () => `${hashName('10.3.0.1')} ${edA.text}` },
  { name: 'two types rsa', text: () => `10.0.0.5 ${rsaA.text}` },
  { name: 'two types ed25519', text: () => `10.0.0.5 ${edA.text}` },
  { name: 'bracketed wildcard', text: () => `[10.4.0.*]:2222 ${ecdsaA.text}` },
];
const FIXTURE_FILE_NAME = '/home/ops/.ssh/known_hosts';

function lineOf(name: string): number {
  const index = fixtureLines.findIndex((line) => line.name === name);
  if (index < 0) throw new Error(`no fixture line '${name}'`);
  return index + 1;
}

let fixtureText: string;
let fixtureFile: string;
let fixture: KnownHostEntry[];

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'knownhosts-test-'));
  edA = generateKey('ed_a', 'ed25519');
  edB = generateKey('ed_b', 'ed25519');
  edC = generateKey('ed_c', 'ed25519');
  edRevoked = generateKey('ed_revoked', 'ed25519');
  rsaA = generateKey('rsa_a', 'rsa');
  rsaB = generateKey('rsa_b', 'rsa');
  ecdsaA = generateKey('ecdsa_a', 'ecdsa');
  for (const key of [edA, edB, edC, edRevoked, rsaA, rsaB, ecdsaA]) key.fingerprint = sshKeygenFingerprint(key.pubFile);

  fixtureText = fixtureLines.map((line) => line.text()).join('\n') + '\n';
  fixtureFile = join(workDir, 'known_hosts');
  writeFileSync(fixtureFile, fixtureText);
  fixture = parseKnownHosts(fixtureText, FIXTURE_FILE_NAME).entries;
});

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

function verify(host: string, port: number, key: TestKey, pinned: PinnedKey[] = [], knownHosts = fixture): HostKeyVerdict {
  return verifyHostKey({ host, port, keyBlob: key.blob, knownHosts, knownHostsFile: FIXTURE_FILE_NAME, pinned });
}

function pin(host: string, key: TestKey): PinnedKey {
  return { host, key_type: key.keyType, key: key.base64 };
}

describe('fingerprintSha256 and keyTypeOfBlob', () => {
  it('prints the same fingerprint as ssh-keygen -lf for ed25519, rsa and ecdsa keys', () => {
    for (const key of [edA, edB, rsaA, ecdsaA]) {
      expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(fingerprintSha256(key.blob)).toBe(key.fingerprint);
    }
  });

  it('reads the key type from inside the blob', () => {
    expect(keyTypeOfBlob(edA.blob)).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(rsaA.blob)).toBe('ssh-rsa');
    expect(keyTypeOfBlob(ecdsaA.blob)).toBe('ecdsa-sha2-nistp256');
  });

  it('throws a PromanagerError for a blob that is not an SSH key', () => {
    expect(() => keyTypeOfBlob(Buffer.alloc(0))).toThrow(PromanagerError);
    expect(() => keyTypeOfBlob(Buffer.from([0, 0, 0, 50, 0x61]))).toThrow(/malformed SSH public key blob/);
  });
});

describe('knownHostName and knownHostsLine', () => {
  it('uses the bare host on port 22 and [host]:port elsewhere, like OpenSSH', () => {
    expect(knownHostName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
    expect(knownHostName('::1', 2222)).toBe('[::1]:2222');
    expect(knownHostName('db.example', 22)).toBe('db.example');
  });

  it('writes a line that parses back and verifies as a match', () => {
    const line = knownHostsLine('10.9.9.9', 2222, edA.blob);
    expect(line).toBe(`[10.9.9.9]:2222 ssh-ed25519 ${edA.base64}`);
    const { entries, problems } = parseKnownHosts(`${line}\n`, 'pins');
    expect(problems).toEqual([]);
    expect(verify('10.9.9.9', 2222, edA, [], entries)).toEqual({ kind: 'match', source: 'known_hosts', line: 1 });
    expect(verify('10.9.9.9', 22, edA, [], entries).kind).toBe('unknown');
  });

  it('writes a line that ssh-keygen -F finds under the same name', () => {
    const file = join(workDir, 'written_known_hosts');
    writeFileSync(file, `${knownHostsLine('10.9.9.9', 2222, rsaA.blob)}\n`);
    expect(sshKeygenFind('[10.9.9.9]:2222', file)).toEqual([1]);
    expect(sshKeygenFind('10.9.9.9', file)).toEqual([]);
  });
});

describe('parseKnownHosts', () => {
  it('skips comments and blank lines and reports the malformed line with its number', () => {
    const { entries, problems } = parseKnownHosts(fixtureText, FIXTURE_FILE_NAME);
    const skipped = ['heading', 'blank', 'whitespace only', 'indented comment', 'malformed'];
    const expectedLines = fixtureLines.filter((line) => !skipped.includes(line.name)).map((line) => lineOf(line.name));
    expect(entries.map((entry) => entry.line)).toEqual(expectedLines);
    expect(problems).toEqual([
      { file: FIXTURE_FILE_NAME, line: lineOf('malformed'), message: expect.stringContaining('not valid base64') },
    ]);
  });

  it('splits a line into marker, patterns, key type, decoded key and comment', () => {
    const plain = fixture.find((entry) => entry.line === lineOf('plain'));
    expect(plain).toEqual({
      line: lineOf('plain'),
      marker: null,
      patterns: ['10.0.0.1'],
      hashed: null,
      keyType: 'ssh-ed25519',
      key: edA.blob,
      comment: 'prod bastion',
    });
    const revoked = fixture.find((entry) => entry.line === lineOf('revoked everywhere'));
    expect(revoked?.marker).toBe('revoked');
    expect(revoked?.patterns).toEqual(['*']);
    const authority = fixture.find((entry) => entry.line === lineOf('cert authority'));
    expect(authority?.marker).toBe('cert-authority');
    expect(authority?.patterns).toEqual(['*.example', '10.0.0.1']);
    const hashed = fixture.find((entry) => entry.line === lineOf('hashed'));
    expect(hashed?.patterns).toBeNull();
    expect(hashed?.hashed?.salt.length).toBe(20);
    expect(hashed?.hashed?.hash.length).toBe(20);
  });

  it('reads CRLF files the same way', () => {
    const crlf = parseKnownHosts(fixtureText.replace(/\n/g, '\r\n'), FIXTURE_FILE_NAME);
    expect(crlf.entries).toEqual(fixture);
    expect(crlf.problems.map((problem) => problem.line)).toEqual([lineOf('malformed')]);
  });

  it('reports every kind of bad line and keeps the good ones around them', () => {
    const text = [
      `good.example ${edA.text}`,
      `@bogus host ${edA.text}`,
      '@revoked',
      'host-without-key',
      'host ssh-ed25519',
      `host ssh-rsa ${edA.base64}`,
      `host ssh-ed25519 ${edA.base64.slice(0, -1)}`,
      `host ssh-ed25519 ${edA.base64}!!`,
      `|1|c2FsdA==|aGFzaA== ${edA.text}`,
      `|2|${randomBytes(20).toString('base64')}|${randomBytes(20).toString('base64')} ${edA.text}`,
      'host 1024 35 123456789',
      `host ssh-ed25519 ${Buffer.from('no length prefix').toString('base64')}`,
      `also-good.example ${rsaA.text} trailing comment`,
    ].join('\n');
    const { entries, problems } = parseKnownHosts(text, 'bad_hosts');
    expect(entries.map((entry) => entry.line)).toEqual([1, 13]);
    expect(problems).toEqual([
      { file: 'bad_hosts', line: 2, message: expect.stringContaining("unknown marker '@bogus'") },
      { file: 'bad_hosts', line: 3, message: expect.stringContaining('marker without host patterns') },
      { file: 'bad_hosts', line: 4, message: expect.stringContaining('missing key type') },
      { file: 'bad_hosts', line: 5, message: expect.stringContaining('missing base64 key') },
      { file: 'bad_hosts', line: 6, message: expect.stringContaining("does not match the key, which is 'ssh-ed25519'") },
      { file: 'bad_hosts', line: 7, message: expect.stringContaining('not valid base64') },
      { file: 'bad_hosts', line: 8, message: expect.stringContaining('not valid base64') },
      { file: 'bad_hosts', line: 9, message: expect.stringContaining('malformed hashed host name') },
      { file: 'bad_hosts', line: 10, message: expect.stringContaining('malformed hashed host name') },
      { file: 'bad_hosts', line: 11, message: expect.stringContaining('protocol 1') },
      { file: 'bad_hosts', line: 12, message: expect.stringContaining('key blob is malformed') },
    ]);
  });
});

/** Line numbers `ssh-keygen -F name -f file` reports: OpenSSH's own answer to "which lines apply to this name". */
function sshKeygenFind(name: string, file: string): number[] {
  const result = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' });
  return [...result.stdout.matchAll(/^# Host .* found: line (\d+)/gm)].map((match) => Number(match[1]));
}

describe('hostMatches', () => {
  const queries: Array<[string, number]> = [
    ['10.0.0.1', 22],
    ['10.0.0.1', 2222],
    ['10.0.0.1', 2200],
    ['10.0.0.2', 22],
    ['10.0.0.3', 22],
    ['10.0.0.3', 2222],
    ['web.example', 22],
    ['WEB.EXAMPLE', 22],
    ['api.example', 22],
    ['10.1.2.3', 22],
    ['10.1.0.66', 22],
    ['10.1.0.666', 22],
    ['10.2.0.7', 22],
    ['10.2.0.17', 22],
    ['10.3.0.1', 22],
    ['10.3.0.1', 2222],
    ['10.3.0.2', 22],
    ['10.4.0.9', 2222],
    ['10.4.0.9', 22],
    ['10.0.0.5', 22],
    ['192.168.1.1', 22],
  ];

  it.each(queries)('picks the same lines as ssh-keygen -F for %s port %i', (host, port) => {
    const ours = fixture.filter((entry) => hostMatches(entry, host, port)).map((entry) => entry.line);
    expect(ours).toEqual(sshKeygenFind(knownHostName(host, port), fixtureFile));
  });

  it('applies plain entries to port 22 only and [host]:port entries to that port only', () => {
    const plain = fixture.find((entry) => entry.line === lineOf('plain'))!;
    const bracketed = fixture.find((entry) => entry.line === lineOf('bracketed'))!;
    expect(hostMatches(plain, '10.0.0.1', 22)).toBe(true);
    expect(hostMatches(plain, '10.0.0.1', 2222)).toBe(false);
    expect(hostMatches(bracketed, '10.0.0.1', 2222)).toBe(true);
    expect(hostMatches(bracketed, '10.0.0.1', 22)).toBe(false);
    expect(hostMatches(bracketed, '10.0.0.1', 2200)).toBe(false);
  });

  it('lets a negated pattern veto the line even when another pattern matches', () => {
    const line = fixture.find((entry) => entry.line === lineOf('wildcard with negation'))!;
    expect(hostMatches(line, '10.1.0.65', 22)).toBe(true);
    expect(hostMatches(line, '10.1.0.66', 22)).toBe(false);
    const onlyNegated = parseKnownHosts(`!10.1.0.66 ${edA.text}`, 'f').entries[0]!;
    expect(hostMatches(onlyNegated, '10.1.0.65', 22)).toBe(false);
  });

  it('matches names hashed by ssh-keygen -H, one hashed line per name and port', () => {
    const file = join(workDir, 'hashed_known_hosts');
    writeFileSync(file, [`10.9.0.1 ${edA.text}`, `[10.9.0.1]:2222 ${edB.text}`, `10.9.0.2,10.9.0.3 ${rsaA.text}`].join('\n') + '\n');
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const { entries, problems } = parseKnownHosts(readFileSync(file, 'utf8'), file);
    expect(problems).toEqual([]);
    expect(entries).toHaveLength(4);
    expect(entries.every((entry) => entry.hashed !== null && entry.patterns === null)).toBe(true);

    const matching = (host: string, port: number) =>
      entries.filter((entry) => hostMatches(entry, host, port)).map((entry) => entry.keyType);
    expect(matching('10.9.0.1', 22)).toEqual(['ssh-ed25519']);
    expect(matching('10.9.0.1', 2222)).toEqual(['ssh-ed25519']);
    expect(matching('10.9.0.2', 22)).toEqual(['ssh-rsa']);
    expect(matching('10.9.0.3', 22)).toEqual(['ssh-rsa']);
    expect(matching('10.9.0.3', 2222)).toEqual([]);
    expect(matching('10.9.0.4', 22)).toEqual([]);

    expect(verify('10.9.0.1', 2222, edB, [], entries)).toEqual({ kind: 'match', source: 'known_hosts', line: 2 });
    const changed = verifyHostKey({ host: '10.9.0.1', port: 2222, keyBlob: edA.blob, knownHosts: entries, knownHostsFile: file, pinned: [] });
    expect(changed).toMatchObject({ kind: 'changed', expected: [{ fingerprint: edB.fingerprint, file, line: 2 }] });
  });

  it('matches a hashed name computed independently, and only for that exact name and port', () => {
    const salt = randomBytes(20);
    const entries = parseKnownHosts(`${hashName('[10.3.0.1]:2222', salt)} ${edA.text}\n`, 'f').entries;
    expect(hostMatches(entries[0]!, '10.3.0.1', 2222)).toBe(true);
    expect(hostMatches(entries[0]!, '10.3.0.1', 22)).toBe(false);
    expect(hostMatches(entries[0]!, '10.3.0.10', 2222)).toBe(false);
  });
});

describe('verifyHostKey against known_hosts', () => {
  it('matches the key listed for the host, with its line', () => {
    expect(verify('10.0.0.1', 22, edA)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('plain') });
    expect(verify('10.0.0.1', 2222, edB)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('bracketed') });
    expect(verify('10.0.0.3', 22, rsaA)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('comma list') });
    expect(verify('web.example', 22, rsaA)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('comma list') });
    expect(verify('10.1.2.3', 22, edA)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('wildcard with negation') });
    expect(verify('10.2.0.7', 22, edB)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('question mark') });
    expect(verify('10.3.0.1', 22, edA)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('hashed') });
    expect(verify('10.4.0.9', 2222, ecdsaA)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('bracketed wildcard') });
  });

  it('reports a different key of the same type as changed, naming every expected key by file and line', () => {
    expect(verify('10.0.0.1', 22, edB)).toEqual({
      kind: 'changed',
      fingerprint: edB.fingerprint,
      keyType: 'ssh-ed25519',
      expected: [{ fingerprint: edA.fingerprint, source: 'known_hosts', file: FIXTURE_FILE_NAME, line: lineOf('plain') }],
    });
    expect(verify('10.0.0.1', 2222, edA)).toMatchObject({
      kind: 'changed',
      expected: [{ fingerprint: edB.fingerprint, line: lineOf('bracketed') }],
    });
    expect(verify('10.0.0.2', 22, rsaB)).toMatchObject({
      kind: 'changed',
      keyType: 'ssh-rsa',
      expected: [{ fingerprint: rsaA.fingerprint, line: lineOf('comma list') }],
    });
    expect(verify('10.3.0.1', 22, edB)).toMatchObject({ kind: 'changed', expected: [{ line: lineOf('hashed') }] });
  });

  it('only compares against keys of the presented type when a host has several', () => {
    expect(verify('10.0.0.5', 22, edA)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('two types ed25519') });
    expect(verify('10.0.0.5', 22, rsaA)).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('two types rsa') });
    expect(verify('10.0.0.5', 22, edB)).toMatchObject({ kind: 'changed', expected: [{ fingerprint: edA.fingerprint }] });
    expect(verify('10.0.0.5', 22, rsaB)).toMatchObject({ kind: 'changed', expected: [{ fingerprint: rsaA.fingerprint }] });
  });

  it('calls a key unknown when the host has no entry, or only entries of other key types', () => {
    expect(verify('192.168.1.1', 22, edA)).toEqual({ kind: 'unknown', fingerprint: edA.fingerprint, keyType: 'ssh-ed25519' });
    expect(verify('10.0.0.1', 2200, edA)).toMatchObject({ kind: 'unknown' });
    expect(verify('10.0.0.3', 2222, rsaA)).toMatchObject({ kind: 'unknown' });
    expect(verify('10.0.0.1', 22, rsaA)).toEqual({ kind: 'unknown', fingerprint: rsaA.fingerprint, keyType: 'ssh-rsa' });
    expect(verify('10.0.0.2', 22, edA)).toMatchObject({ kind: 'unknown', keyType: 'ssh-ed25519' });
  });

  it('honours wildcards and negation when deciding which entries apply', () => {
    expect(verify('10.1.0.66', 22, edA)).toMatchObject({ kind: 'unknown' });
    expect(verify('10.1.0.66', 22, edB)).toMatchObject({ kind: 'unknown' });
    expect(verify('10.1.200.1', 22, edB)).toMatchObject({ kind: 'changed' });
    expect(verify('10.2.0.17', 22, edB)).toMatchObject({ kind: 'unknown' });
    expect(verify('10.4.0.9', 22, ecdsaA)).toMatchObject({ kind: 'unknown' });
  });

  it('refuses a revoked key even where it is also listed as the host key', () => {
    const revoked = { kind: 'revoked', fingerprint: edRevoked.fingerprint, line: lineOf('revoked everywhere') };
    expect(verify('10.0.0.4', 22, edRevoked)).toEqual(revoked);
    // The revocation line's `*` covers every name, bracketed ones included.
    expect(verify('10.0.0.1', 2222, edRevoked)).toEqual(revoked);
    expect(verify('10.0.0.4', 22, edRevoked, [pin('10.0.0.4', edRevoked)])).toEqual(revoked);
    expect(verify('10.0.0.4', 22, edA)).toMatchObject({ kind: 'changed', expected: [{ fingerprint: edRevoked.fingerprint }] });
  });

  it('applies a revocation only to the hosts its patterns match, as OpenSSH does', () => {
    const entries = parseKnownHosts([`@revoked 10.0.0.9 ${edA.text}`, `10.0.0.8 ${edA.text}`].join('\n'), 'f').entries;
    expect(verify('10.0.0.9', 22, edA, [], entries)).toEqual({ kind: 'revoked', fingerprint: edA.fingerprint, line: 1 });
    expect(verify('10.0.0.8', 22, edA, [], entries)).toEqual({ kind: 'match', source: 'known_hosts', line: 2 });
  });

  it('ignores @cert-authority lines: a CA key neither matches nor makes another key look changed', () => {
    expect(verify('api.example', 22, edC)).toMatchObject({ kind: 'unknown' });
    expect(verify('api.example', 22, edA)).toMatchObject({ kind: 'unknown' });
    expect(verify('10.0.0.1', 22, edC)).toMatchObject({
      kind: 'changed',
      expected: [{ fingerprint: edA.fingerprint, line: lineOf('plain') }],
    });
  });
});

describe('verifyHostKey with pinned keys', () => {
  it('matches a pinned key for exactly that host and port', () => {
    const pins = [pin('[10.5.0.1]:2222', edA)];
    expect(verify('10.5.0.1', 2222, edA, pins, [])).toEqual({ kind: 'match', source: 'pinned' });
    expect(verify('10.5.0.1', 22, edA, pins, [])).toEqual({ kind: 'unknown', fingerprint: edA.fingerprint, keyType: 'ssh-ed25519' });
    expect(verify('10.5.0.10', 2222, edA, pins, [])).toMatchObject({ kind: 'unknown' });
  });

  it('reports a different pinned key of the same type as changed, without file or line', () => {
    expect(verify('10.5.0.1', 22, edB, [pin('10.5.0.1', edA)], [])).toEqual({
      kind: 'changed',
      fingerprint: edB.fingerprint,
      keyType: 'ssh-ed25519',
      expected: [{ fingerprint: edA.fingerprint, source: 'pinned' }],
    });
    expect(verify('10.5.0.1', 22, rsaA, [pin('10.5.0.1', edA)], [])).toMatchObject({ kind: 'unknown' });
  });

  it('accepts a key found in either source and lists both sources when neither matches', () => {
    expect(verify('10.0.0.1', 22, edB, [pin('10.0.0.1', edB)])).toEqual({ kind: 'match', source: 'pinned' });
    expect(verify('10.0.0.1', 22, edA, [pin('10.0.0.1', edA)])).toEqual({ kind: 'match', source: 'known_hosts', line: lineOf('plain') });
    expect(verify('10.0.0.1', 22, edC, [pin('10.0.0.1', edB)])).toEqual({
      kind: 'changed',
      fingerprint: edC.fingerprint,
      keyType: 'ssh-ed25519',
      expected: [
        { fingerprint: edA.fingerprint, source: 'known_hosts', file: FIXTURE_FILE_NAME, line: lineOf('plain') },
        { fingerprint: edB.fingerprint, source: 'pinned' },
      ],
    });
  });

  it('treats an RSA pin recorded under a signature algorithm name as an ssh-rsa key', () => {
    const pins: PinnedKey[] = [{ host: '10.5.0.2', key_type: 'rsa-sha2-512', key: rsaA.base64 }];
    expect(verify('10.5.0.2', 22, rsaA, pins, [])).toEqual({ kind: 'match', source: 'pinned' });
    expect(verify('10.5.0.2', 22, rsaB, pins, [])).toMatchObject({ kind: 'changed', keyType: 'ssh-rsa' });
  });

  it('fails closed on a pin whose key is not valid base64: the host counts as changed, never as matched', () => {
    const pins: PinnedKey[] = [{ host: '10.5.0.3', key_type: 'ssh-ed25519', key: 'not base64!' }];
    expect(verify('10.5.0.3', 22, edA, pins, [])).toMatchObject({ kind: 'changed', expected: [{ source: 'pinned' }] });
  });
});

describe('preferredHostKeyAlgorithms', () => {
  const ssh2Defaults = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];

  it('falls back to exactly the serverHostKey defaults of the installed ssh2', () => {
    // ssh2 ships no types for its internals; read the list as data and check its shape before trusting it.
    const constants: unknown = createRequire(import.meta.url)('ssh2/lib/protocol/constants.js');
    const installed = (constants as { DEFAULT_SERVER_HOST_KEY?: unknown }).DEFAULT_SERVER_HOST_KEY;
    expect(installed).toEqual(ssh2Defaults);
    expect(preferredHostKeyAlgorithms('192.168.1.1', 22, fixture, [])).toEqual(ssh2Defaults);
  });

  it('puts the RSA signature algorithms first for a host known by an RSA key', () => {
    expect(preferredHostKeyAlgorithms('10.0.0.2', 22, fixture, [])).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
    ]);
  });

  it('keeps the file order of several known types, and uses only entries for this host and port', () => {
    expect(preferredHostKeyAlgorithms('10.0.0.5', 22, fixture, []).slice(0, 4)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
    expect(preferredHostKeyAlgorithms('10.4.0.9', 2222, fixture, [])[0]).toBe('ecdsa-sha2-nistp256');
    expect(preferredHostKeyAlgorithms('10.4.0.9', 22, fixture, [])).toEqual(ssh2Defaults);
  });

  it('puts pinned key types ahead of known_hosts ones', () => {
    const pins = [pin('10.0.0.2', ecdsaA)];
    expect(preferredHostKeyAlgorithms('10.0.0.2', 22, fixture, pins).slice(0, 4)).toEqual([
      'ecdsa-sha2-nistp256',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
  });

  it('ignores revoked and CA keys, and key types ssh2 cannot negotiate', () => {
    // 10.7.7.7 is covered only by the `@revoked *` line.
    expect(preferredHostKeyAlgorithms('10.7.7.7', 22, fixture, [])).toEqual(ssh2Defaults);
    expect(preferredHostKeyAlgorithms('api.example', 22, fixture, [])).toEqual(ssh2Defaults);
    const exotic = ['ssh-dss', 'sk-ssh-ed25519@openssh.com']
      .map((keyType) => `10.8.0.1 ${keyType} ${blobOfType(keyType).toString('base64')}`)
      .join('\n');
    const { entries, problems } = parseKnownHosts(exotic, 'f');
    expect(problems).toEqual([]);
    expect(preferredHostKeyAlgorithms('10.8.0.1', 22, entries, [])).toEqual(ssh2Defaults);
  });

  it('lists every algorithm once', () => {
    const algorithms = preferredHostKeyAlgorithms('10.0.0.5', 22, fixture, [pin('10.0.0.5', rsaB), pin('10.0.0.5', edB)]);
    expect([...algorithms].sort()).toEqual([...ssh2Defaults].sort());
  });
});
