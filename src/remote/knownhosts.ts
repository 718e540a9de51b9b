// OpenSSH known_hosts, implemented as pure functions so host-key checking is testable without a network.
//
// The file format and matching rules follow sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" and OpenSSH's hostfile.c and
// match.c: a line is `[@marker] patterns keytype base64-key [comment]`; patterns are a comma list of names with `*`
// and `?` wildcards and `!` negation, or a single hashed name `|1|salt|hmac`. Every pattern is matched against one
// lookup name, which is `host` for port 22 and `[host]:port` otherwise, so a plain `10.0.0.1` entry only applies to
// port 22 and `[10.0.0.1]:2222` only to port 2222 (while a bare `*` applies to every host and port, as in OpenSSH).

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { PromanagerError } from '../core/errors.js';

export interface KnownHostEntry {
  /** 1-based line number in the file the entry was read from. */
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  /** The comma-separated host patterns, each possibly starting with `!`; null when the name is hashed. */
  patterns: string[] | null;
  /** A hashed name (`|1|salt|hash`, HMAC-SHA1 keyed by salt); null when the line lists plain patterns. */
  hashed: { salt: Buffer; hash: Buffer } | null;
  keyType: string;
  /** The decoded key blob, exactly as the server sends it during key exchange. */
  key: Buffer;
  comment: string;
}

/** A line that could not be used. It carries `file` as well so it can go straight into a FileProblemError. */
export interface KnownHostsProblem {
  file: string;
  line: number;
  message: string;
}

export type HostKeyVerdict =
  | { kind: 'match'; source: 'known_hosts' | 'pinned'; line?: number }
  | { kind: 'unknown'; fingerprint: string; keyType: string }
  | {
      kind: 'changed';
      fingerprint: string;
      keyType: string;
      expected: Array<{ fingerprint: string; source: 'known_hosts' | 'pinned'; file?: string; line?: number }>;
    }
  | { kind: 'revoked'; fingerprint: string; line: number };

/** A host key recorded in the inventory rather than in known_hosts. */
export interface PinnedKey {
  /** knownHostName form: `ip` for port 22, `[ip]:port` otherwise. */
  host: string;
  key_type: string;
  /** base64 of the key blob, as in the second field of a .pub file. */
  key: string;
}

// OpenSSH's HASH_MAGIC; the salt and the HMAC are both SHA-1 sized (hostfile.c rejects any other salt length).
const HASHED_NAME_PREFIX = '|1|';
const SHA1_BYTES = 20;

const MARKERS: Record<string, KnownHostEntry['marker']> = {
  '@revoked': 'revoked',
  '@cert-authority': 'cert-authority',
};

// Canonical, padded base64 only: OpenSSH's b64_pton refuses missing padding and stray bits, and Node's decoder
// would silently skip garbage, turning a corrupted line into a wrong key instead of a reported problem.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeStrictBase64(text: string): Buffer | null {
  if (text.length === 0 || !STRICT_BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

/**
 * Reads a known_hosts file. Comment lines (`#`) and blank lines are skipped; a line that cannot be parsed is
 * reported in `problems` and skipped, as ssh itself does, so one bad line never hides the rest of the file.
 */
export function parseKnownHosts(
  text: string,
  file: string,
): { entries: KnownHostEntry[]; problems: KnownHostsProblem[] } {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const result = parseLine(rawLine.replace(/\r$/, ''), line);
    if (result === null) return;
    if ('problem' in result) problems.push({ file, line, message: result.problem });
    else entries.push(result.entry);
  });
  return { entries, problems };
}

function parseLine(text: string, line: number): { entry: KnownHostEntry } | { problem: string } | null {
  const content = text.trim();
  if (content === '' || content.startsWith('#')) return null;

  const fields = content.split(/[ \t]+/);
  let marker: KnownHostEntry['marker'] = null;
  if (fields[0]!.startsWith('@')) {
    const markerText = fields.shift()!;
    const known = MARKERS[markerText];
    if (known === undefined) {
      return { problem: `unknown marker '${markerText}' (expected @revoked or @cert-authority)` };
    }
    marker = known;
  }

  const [hostField, keyType, keyText] = fields;
  if (hostField === undefined) return { problem: 'marker without host patterns, key type and key' };
  if (keyType === undefined) return { problem: 'missing key type and key after the host patterns' };
  // Protocol 1 RSA lines read `hosts bits exponent modulus`; OpenSSH dropped them and so do we.
  if (/^\d+$/.test(keyType)) return { problem: 'SSH protocol 1 RSA keys are not supported' };
  if (keyText === undefined) return { problem: `missing base64 key after key type '${keyType}'` };

  let patterns: string[] | null = null;
  let hashed: KnownHostEntry['hashed'] = null;
  if (hostField.startsWith('|')) {
    hashed = parseHashedName(hostField);
    if (hashed === null) {
      return { problem: `malformed hashed host name '${hostField}' (expected |1|base64-salt|base64-hash)` };
    }
  } else {
    patterns = hostField.split(',');
  }

  const key = decodeStrictBase64(keyText);
  if (key === null) return { problem: `key for type '${keyType}' is not valid base64` };
  const blobType = readKeyType(key);
  if (blobType === null) return { problem: 'key blob is malformed (no key type inside)' };
  // ssh refuses a line whose declared type disagrees with the blob, so a mislabeled key can never match.
  if (blobType !== keyType) return { problem: `key type '${keyType}' does not match the key, which is '${blobType}'` };

  const comment = fields.slice(3).join(' ');
  return { entry: { line, marker, patterns, hashed, keyType, key, comment } };
}

function parseHashedName(field: string): KnownHostEntry['hashed'] {
  if (!field.startsWith(HASHED_NAME_PREFIX)) return null;
  const parts = field.slice(HASHED_NAME_PREFIX.length).split('|');
  if (parts.length !== 2) return null;
  const salt = decodeStrictBase64(parts[0]!);
  const hash = decodeStrictBase64(parts[1]!);
  if (salt === null || hash === null || salt.length !== SHA1_BYTES || hash.length !== SHA1_BYTES) return null;
  return { salt, hash };
}

/** The name OpenSSH looks up for a host (put_host_port): `host` on the default port, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 || port === 0 ? host : `[${host}]:${port}`;
}

/**
 * Whether a line applies to host:port. A hashed name must hash to the lookup name; a pattern list must have a
 * positive match and no negated match (a matching `!pattern` vetoes the line whatever else matches). Comparison is
 * case-insensitive, as ssh lowercases host names before looking them up.
 */
export function hostMatches(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostName(host, port).toLowerCase();
  if (entry.hashed !== null) {
    const digest = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return digest.length === entry.hashed.hash.length && timingSafeEqual(digest, entry.hashed.hash);
  }
  let positive = false;
  for (const pattern of entry.patterns ?? []) {
    const negated = pattern.startsWith('!');
    const body = (negated ? pattern.slice(1) : pattern).toLowerCase();
    if (!wildcardMatch(name, body)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}

/** OpenSSH's match_pattern: `*` is any run of characters (even none), `?` exactly one, everything else literal. */
function wildcardMatch(text: string, pattern: string): boolean {
  let textPos = 0;
  let patternPos = 0;
  // Where the last `*` was and which text position it currently swallows up to, for backtracking.
  let starPatternPos = -1;
  let starTextPos = 0;
  while (textPos < text.length) {
    const patternChar = pattern[patternPos];
    if (patternChar === '*') {
      starPatternPos = patternPos++;
      starTextPos = textPos;
    } else if (patternChar !== undefined && (patternChar === '?' || patternChar === text[textPos])) {
      textPos++;
      patternPos++;
    } else if (starPatternPos >= 0) {
      // Let the last `*` take one more character and retry the rest of the pattern from there.
      patternPos = starPatternPos + 1;
      textPos = ++starTextPos;
    } else {
      return false;
    }
  }
  while (pattern[patternPos] === '*') patternPos++;
  return patternPos === pattern.length;
}

/** `SHA256:` and the unpadded base64 of the blob's SHA-256, the form `ssh-keygen -lf` and ssh's prompts print. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of a key blob, e.g. `ssh-ed25519`. Throws if the blob is not an SSH key. */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  const keyType = readKeyType(keyBlob);
  if (keyType === null) throw new PromanagerError(`malformed SSH public key blob (${keyBlob.length} bytes)`);
  return keyType;
}

/** Reads the leading SSH string (uint32 length, then bytes) and checks it looks like a key type name. */
function readKeyType(keyBlob: Buffer): string | null {
  if (keyBlob.length < 4) return null;
  const length = keyBlob.readUInt32BE(0);
  if (length === 0 || length > 256 || 4 + length > keyBlob.length) return null;
  const keyType = keyBlob.subarray(4, 4 + length).toString('latin1');
  return /^[\x21-\x7e]+$/.test(keyType) ? keyType : null;
}

// A pinned key written with a signature algorithm name still names an ssh-rsa key.
const KEY_TYPE_OF_ALGORITHM: Record<string, string> = { 'rsa-sha2-256': 'ssh-rsa', 'rsa-sha2-512': 'ssh-rsa' };

interface TrustedKey {
  keyType: string;
  key: Buffer;
  source: 'known_hosts' | 'pinned';
  line?: number;
}

function pinnedKeysFor(host: string, port: number, pinned: PinnedKey[]): TrustedKey[] {
  const name = knownHostName(host, port).toLowerCase();
  return pinned
    .filter((pin) => pin.host.toLowerCase() === name)
    .map((pin) => {
      // An undecodable pin still counts as "a key of this type is expected", so it fails closed as `changed`.
      const key = decodeStrictBase64(pin.key) ?? Buffer.from(pin.key, 'base64');
      const keyType = readKeyType(key) ?? KEY_TYPE_OF_ALGORITHM[pin.key_type] ?? pin.key_type;
      return { keyType, key, source: 'pinned' as const };
    });
}

/**
 * Decides whether the key a server presented may be trusted, following ssh with StrictHostKeyChecking=yes:
 *   1. a matching `@revoked` line for the same key refuses it, whatever else says it is fine;
 *   2. a known_hosts line or pinned key for this host with the same blob accepts it;
 *   3. a known or pinned key of the same type but a different blob means the host key changed;
 *   4. otherwise it is unknown (even if keys of other types are known: ssh calls that "not known" too, and
 *      preferredHostKeyAlgorithms steers the server towards a type we can check).
 * `@cert-authority` lines are ignored: we do not accept host certificates, so a CA key never vouches for a host.
 */
export function verifyHostKey(input: {
  host: string;
  port: number;
  keyBlob: Buffer;
  knownHosts: KnownHostEntry[];
  knownHostsFile: string;
  pinned: PinnedKey[];
}): HostKeyVerdict {
  const { host, port, keyBlob } = input;
  const fingerprint = fingerprintSha256(keyBlob);
  const keyType = keyTypeOfBlob(keyBlob);
  const forHost = input.knownHosts.filter((entry) => hostMatches(entry, host, port));

  const revoked = forHost.find((entry) => entry.marker === 'revoked' && entry.key.equals(keyBlob));
  if (revoked !== undefined) return { kind: 'revoked', fingerprint, line: revoked.line };

  const trusted: TrustedKey[] = [
    ...forHost
      .filter((entry) => entry.marker === null)
      .map((entry) => ({ keyType: entry.keyType, key: entry.key, source: 'known_hosts' as const, line: entry.line })),
    ...pinnedKeysFor(host, port, input.pinned),
  ];

  const same = trusted.find((candidate) => candidate.key.equals(keyBlob));
  if (same !== undefined) {
    return same.line === undefined
      ? { kind: 'match', source: same.source }
      : { kind: 'match', source: same.source, line: same.line };
  }

  const sameType = trusted.filter((candidate) => candidate.keyType === keyType);
  if (sameType.length > 0) {
    return {
      kind: 'changed',
      fingerprint,
      keyType,
      expected: sameType.map((candidate) => {
        const expectedKey = { fingerprint: fingerprintSha256(candidate.key), source: candidate.source };
        return candidate.source === 'known_hosts'
          ? { ...expectedKey, file: input.knownHostsFile, line: candidate.line }
          : expectedKey;
      }),
    };
  }
  return { kind: 'unknown', fingerprint, keyType };
}

// ssh2 1.17's default algorithms.serverHostKey list (lib/protocol/constants.js), in its order. ssh-dss is
// supported by ssh2 but not offered by default, and OpenSSH disabled DSA years ago, so we never ask for it.
const SSH2_DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

// One RSA key can sign with any of these; SHA-2 first because OpenSSH 8.8+ servers refuse SHA-1 signatures.
const ALGORITHMS_OF_KEY_TYPE: Record<string, readonly string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * The serverHostKey algorithm list to offer: algorithms for the key types we already trust for this host first
 * (pinned keys, then known_hosts in file order), then ssh2's defaults. Like OpenSSH's order_hostkeyalgs, this makes
 * a server with several host keys present one we can verify instead of one we would call unknown.
 */
export function preferredHostKeyAlgorithms(
  host: string,
  port: number,
  knownHosts: KnownHostEntry[],
  pinned: PinnedKey[],
): string[] {
  const knownTypes = [
    ...pinnedKeysFor(host, port, pinned).map((key) => key.keyType),
    ...knownHosts
      .filter((entry) => entry.marker === null && hostMatches(entry, host, port))
      .map((entry) => entry.keyType),
  ];
  const preferred = knownTypes.flatMap((keyType) => ALGORITHMS_OF_KEY_TYPE[keyType] ?? [keyType]);
  const ordered = new Set([...preferred, ...SSH2_DEFAULT_HOST_KEY_ALGORITHMS]);
  return [...ordered].filter((algorithm) => SSH2_DEFAULT_HOST_KEY_ALGORITHMS.includes(algorithm));
}

/** A known_hosts line for the key, e.g. `[10.0.0.1]:2222 ssh-ed25519 AAAA...`, for recording or pinning it. */
export function knownHostsLine(host: string, port: number, keyBlob: Buffer): string {
  return `${knownHostName(host, port)} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString('base64')}`;
}
