// The newcomer path, run as a newcomer would, inside a test host (its own overlay root, so the demo's install
// into /opt/promanager and /var/lib/promanager never touches this machine): `npm run demo`'s script with no
// network at all (a network namespace with only lo) and http_proxy pointing at a dead port; the README's quick
// start block as written; and the README's cleanup line leaving nothing of promanager behind.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { startFleet, testDir, testHostsUnavailableReason, type TestFleet } from '../fixtures/testhosts.js';

const skip = testHostsUnavailableReason();
const LEFTOVERS = "find /opt /etc /var /home /root /srv /usr/local -xdev -name '*promanager*' -print 2>/dev/null | sort; getent passwd node_exporter";

/** The commands of a ```sh block under a README heading, one per line, comments and continuations kept. */
export function readmeBlock(readme: string, heading: string): string[] {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no '${heading}' section`);
  const m = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m) throw new Error(`README's '${heading}' section has no sh block`);
  return m[1]!.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.trim() !== '');
}

describe.skipIf(skip !== undefined)(`the newcomer path${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fleet: TestFleet;
  // A promanager on PATH inside the host, as `npm install -g .` would give.
  const onPath = `mkdir -p /tmp/pm-bin && printf '#!/bin/sh\\nexec node ${repoRoot}/bin/promanager "$@"\\n' > /tmp/pm-bin/promanager && chmod 755 /tmp/pm-bin/promanager && export PATH=/tmp/pm-bin:$PATH`;

  beforeAll(async () => {
    fleet = await startFleet([{ name: 'n1' }, { name: 'n2' }], { dir: testDir('pm-testhosts-newcomer'), firstIp: 140 });
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
  });

  it('npm run demo works with no network and a dead http_proxy, from Debian packages, and says so', async () => {
    const before = (await fleet.exec('n1', LEFTOVERS)).stdout;
    const demo = await fleet.exec('n1', `unshare --net bash -c 'ip link set lo up && cd ${repoRoot} && export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 PROMANAGER_HOME=/root/pm-demo && bash scripts/demo.sh'`, 240_000);
    expect(demo.code, demo.stderr.slice(-3000)).toBe(0);
    expect(demo.stderr).toContain("offline: prometheus 2.53.1 cannot be downloaded; taking Debian's prometheus");
    expect(demo.stderr).toMatch(/prometheus-[\d.]+\.linux-amd64\.tar\.gz imported from the installed package \(dpkg -L\), repacked reproducibly/);
    expect(demo.stdout).toContain('Prometheus Server is Ready.');
    // The README's cleanup line, as written, leaves nothing of promanager on the machine.
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const cleanup = /^promanager service uninstall prometheus.*$/m.exec(readme.slice(readme.indexOf('`npm run demo` builds')))?.[0];
    expect(cleanup, 'the README names the cleanup commands after the demo').toBeTruthy();
    const done = await fleet.exec('n1', `${onPath} && cd ${repoRoot} && export PROMANAGER_HOME=/root/pm-demo && ${cleanup}`);
    expect(done.code, done.stderr).toBe(0);
    expect((await fleet.exec('n1', LEFTOVERS)).stdout).toBe(before);
  }, 300_000);

  it("has a readiness check that fails the demo when Prometheus does not answer", async () => {
    const r = await fleet.exec('n2', `cd ${repoRoot} && node scripts/demo-ready.mjs http://127.0.0.1:1/-/ready`);
    expect(r.code).toBe(1);
    expect(readFileSync(path.join(repoRoot, 'scripts/demo.sh'), 'utf8')).toMatch(/^if ! node scripts\/demo-ready\.mjs http:\/\/127\.0\.0\.1:9090\/-\/ready; then$/m);
  });

  it("runs the README's quick start as written, on a fresh machine, with the state in a temp home", async () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const lines = readmeBlock(readme, '## Quick start');
    // The install line is npm's own business (a global install would outlive the test); everything after it runs.
    expect(lines[0]).toMatch(/^npm ci && npm install -g \./);
    const script = lines.slice(1).join('\n');
    expect(script).not.toMatch(/10\.0\.0\./);
    const r = await fleet.exec('n2', `${onPath} && cd ${repoRoot} && export PROMANAGER_HOME=$(mktemp -d) && set -euo pipefail && ${script}`, 100_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`.slice(-3000)).toBe(0);
  }, 120_000);
});
