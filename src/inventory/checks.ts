// Value rules every inventory format shares: cluster and host names, addresses, ports, and the uniqueness of
// hosts across the whole file (hosts are addressed by name or IP on the command line, so both must be unique).

import { isIP } from 'node:net';
import type { SourcePos } from './model.js';
import type { ProblemList } from './problems.js';

/** Cluster names appear in paths (`rules/<cluster>/`) and on the command line, so they stay simple. */
export const CLUSTER_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;

export function clusterNameProblem(name: string): string | null {
  if (CLUSTER_NAME_PATTERN.test(name)) return null;
  return (
    `cluster name '${name}' is not valid: use up to 63 letters, digits, '.', '_' and '-', ` +
    `starting with a letter or digit`
  );
}

/** Host names are targets of `--hosts a,b` and may be globbed, so no whitespace and no commas. */
export function hostNameProblem(name: string): string | null {
  if (name.length === 0) return 'host name is empty';
  if (/[\s,]/.test(name)) return `host name '${name}' must not contain spaces or commas`;
  return null;
}

/** A whole TCP port number, given as a number or (as INI files and quoted YAML give it) a string of digits. */
export function portFromValue(value: unknown): number | null {
  const port = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535 ? port : null;
}

export const PORT_PROBLEM = 'port must be a whole number between 1 and 65535';

/** RFC 1123 host name; underscores are tolerated because internal DNS zones use them and SSH does not care. */
const DNS_LABEL = '[A-Za-z0-9_](?:[-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?';
const DNS_NAME_PATTERN = new RegExp(`^(?=.{1,253}\\.?$)${DNS_LABEL}(?:\\.${DNS_LABEL})*\\.?$`);

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}

/** An address SSH can connect to: an IP address or a DNS name. */
export function isHostAddress(value: string): boolean {
  if (isIpAddress(value)) return true;
  // Dotted digits are meant as an IPv4 address: 10.0.0.300 is a typo, not a DNS name.
  if (/^[0-9.]+$/.test(value)) return false;
  return DNS_NAME_PATTERN.test(value);
}

/** The same IPv6 address can be spelt many ways (`::1`, `0:0::1`); compare the canonical form. */
function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address.toLowerCase();
  try {
    return new URL(`http://[${address}]/`).hostname;
  } catch {
    // Zone ids (fe80::1%eth0) are not URL material; compare them as written.
    return address.toLowerCase();
  }
}

export interface HostPlacement {
  name: string;
  /** False when the name was not written and defaults to the address: then a duplicate name is a duplicate IP. */
  nameIsExplicit: boolean;
  ip: string;
  path: string;
  /** Where the host starts; ipPos / namePos point at the written values when there are any. */
  pos?: SourcePos;
  ipPos?: SourcePos;
  namePos?: SourcePos;
}

function describePlace(host: HostPlacement): string {
  return host.pos === undefined ? host.path : `${host.path} (line ${host.pos.line})`;
}

/** Reports every host whose IP or name was already used by an earlier host, naming the earlier place. */
export function reportDuplicateHosts(hosts: HostPlacement[], problems: ProblemList): void {
  const byAddress = new Map<string, HostPlacement>();
  const byName = new Map<string, HostPlacement>();
  for (const host of hosts) {
    const address = canonicalAddress(host.ip);
    const sameAddress = byAddress.get(address);
    if (sameAddress !== undefined) {
      const message = `duplicate host IP ${host.ip}: also used by ${describePlace(sameAddress)}`;
      problems.add(host.ipPos ?? host.pos, `${host.path}.ip`, message);
    } else {
      byAddress.set(address, host);
    }
    const sameName = byName.get(host.name);
    if (sameName !== undefined) {
      // A defaulted name that repeats an address already reported above would only say the same thing again.
      if (host.nameIsExplicit || sameAddress === undefined) {
        const message = `duplicate host name '${host.name}': also used by ${describePlace(sameName)}`;
        problems.add(host.namePos ?? host.pos, `${host.path}.name`, message);
      }
    } else {
      byName.set(host.name, host);
    }
  }
}
