// Benchmark fleet: real OpenSSH test hosts started with test/fixtures/testhost.sh (the same hosts the
// integration tests use, see test/fixtures/testhosts.ts), in plain JavaScript so `node scripts/bench.mjs`
// needs no build step. Every host lives under a private PM_TESTHOSTS_DIR inside the bench's work dir, so the
// bench never touches hosts of a test run going on at the same time (those live in /tmp/pm-testhosts).
//
//   const fleet = await createFleet({ workDir, log });
//   const hosts = await fleet.ensure(50);    // starts hosts 0..49 (parallel batches), reuses running ones
//   fleet.keyFile, fleet.knownHostsFile     // ed25519 key authorized for root; known_hosts of every host
//   await fleet.recreate(20);                // stops every host and starts hosts 0..19 afresh (new overlay, new host keys)
//   await fleet.stop();                      // stops every host, removes the host dir; idempotent
//
// A second fleet in the same work dir needs its own `tag` (host dir, key and known_hosts get it as a suffix) and
// usually its own addresses and names (`ipOf`, `nameOf`).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const TESTHOST_SCRIPT = fileURLToPath(new URL('../test/fixtures/testhost.sh', import.meta.url));

/**
 * Address of the i-th bench host: 127.0.1.100 .. 127.0.1.149 for the first 50 (as the brief asks), then
 * 127.0.2.1 .. 127.0.2.250 for bigger fleets, at most 300 hosts (all of 127/8 routes to lo on Linux).
 * 127.0.3.x belongs to the services scenario's own fleet (scripts/bench.mjs), so it is never handed out here.
 */
export function hostIp(i) {
  if (i >= 300) throw new Error(`bench fleet: at most 300 hosts (127.0.3.x is the services scenario's), not ${i + 1}`);
  if (i < 50) return `127.0.1.${100 + i}`;
  const j = i - 50;
  return `127.0.${2 + Math.floor(j / 250)}.${1 + (j % 250)}`;
}

export function hostName(i) {
  return `bench-${String(i).padStart(3, '0')}`;
}

/** Mount points at or below `dir` (from /proc/mounts). */
export function mountsUnder(dir) {
  const text = readFileSync('/proc/mounts', 'utf8');
  const decode = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return text.split('\n').map((l) => decode(l.split(' ')[1] ?? '')).filter((m) => m === dir || m.startsWith(`${dir}/`));
}

function run(file, args, { env, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? String(err.message) : '') });
      });
  });
}

/** Runs fn over items with at most `limit` at a time; collects errors instead of stopping. */
export async function settleAll(items, limit, fn) {
  const errors = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}

export async function createFleet({ workDir, log = () => undefined, startConcurrency = 8, shouldStop = () => false, tag = '', ipOf = hostIp, nameOf = hostName }) {
  const suffix = tag ? `-${tag}` : '';
  const dir = join(workDir, `hosts${suffix}`);
  const keyFile = join(workDir, `id_ed25519${suffix}`);
  const knownHostsFile = join(workDir, `known_hosts${suffix}`);
  await mkdir(dir, { recursive: true });
  const env = { PM_TESTHOSTS_DIR: dir };
  const script = (args, timeoutMs) => run('/bin/bash', [TESTHOST_SCRIPT, ...args], { env, timeoutMs });

  const keygen = await run('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pm-bench', '-f', keyFile]);
  if (keygen.code !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr}`);

  /** index -> host, for every host that is running */
  const running = new Map();
  /** names a start was attempted for (a failed start cleans up after itself, but stop them anyway) */
  const attempted = new Set();
  /** starts in progress, so stop() can wait for them instead of racing them */
  const inflight = new Set();
  let stopped = false;
  let stopping = null;

  const hostKeyLines = async (h) => {
    const lines = [];
    for (const kind of ['ed25519', 'rsa']) {
      const pub = (await readFile(join(dir, h.name, 'root', `etc/ssh/ssh_host_${kind}_key.pub`), 'utf8')).trim();
      const [type, key] = pub.split(/\s+/);
      lines.push(`${h.ip} ${type} ${key}`);
    }
    return lines.join('\n') + '\n';
  };

  const writeKnownHosts = async () => {
    const hosts = [...running.values()].sort((a, b) => a.index - b.index);
    await writeFile(knownHostsFile, hosts.map((h) => h.knownHosts).join(''), { mode: 0o600 });
  };

  const startOne = async (index) => {
    if (stopped || shouldStop()) throw new Error('interrupted');
    const name = nameOf(index);
    const ip = ipOf(index);
    attempted.add(name);
    const args = ['start', name, ip, '--authorized-key', `${keyFile}.pub`];
    let r = await script(args);
    if (r.code !== 0 && !stopped && !shouldStop()) {
      await script(['stop', name]);
      r = await script(args);
    }
    if (r.code !== 0) throw new Error(`testhost.sh start ${name} ${ip} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    const host = { index, name, ip, port: 22, root: join(dir, name, 'root') };
    host.knownHosts = await hostKeyLines(host);
    running.set(index, host);
  };

  /** Stops every host of the fleet (and crash leftovers in its dir); returns the errors. */
  const stopHosts = async () => {
    // testhost.sh stop scans every process of the machine with a grep per process, once per host: with
    // hundreds of hosts (three processes each) that is minutes. Do the bulk of it here in one pass, then let
    // the script deal with whatever is left (it is a no-op for a host whose dir is gone).
    await fastStopAll(dir).catch((err) => log(`fast stop failed (${err.message}); falling back to testhost.sh stop`));
    const names = [...attempted].filter((n) => existsSync(join(dir, n)));
    const errors = await settleAll(names, 8, async (name) => {
      const r = await script(['stop', name], 120_000);
      if (r.code !== 0) throw new Error(`testhost.sh stop ${name}: ${r.stderr.trim()}`);
    });
    running.clear();
    return errors;
  };

  const stopAll = async () => {
    stopped = true;
    await Promise.allSettled([...inflight]);
    const errors = await stopHosts();
    const all = await script(['stop-all'], 300_000);
    if (all.code !== 0) errors.push(new Error(`testhost.sh stop-all: ${all.stderr.trim()}`));
    const left = mountsUnder(dir);
    if (left.length) errors.push(new Error(`still mounted under ${dir}: ${left.join(' ')}`));
    else if (existsSync(dir)) await rmdir(dir).catch((e) => errors.push(e));
    return errors;
  };

  return {
    dir,
    keyFile,
    knownHostsFile,
    get hosts() {
      return [...running.values()].sort((a, b) => a.index - b.index);
    },
    /**
     * Makes hosts 0..count-1 run (starting the missing ones, `startConcurrency` at a time). Returns the hosts
     * that run among them and the errors of those that could not be started (the caller decides whether a
     * smaller fleet will do).
     */
    async ensure(count) {
      const missing = [];
      for (let i = 0; i < count; i++) if (!running.has(i)) missing.push(i);
      const t0 = performance.now();
      const tracked = (index) => {
        const p = startOne(index);
        inflight.add(p);
        return p.finally(() => inflight.delete(p));
      };
      const errors = missing.length ? await settleAll(missing, startConcurrency, tracked) : [];
      if (missing.length) log(`started ${missing.length - errors.length}/${missing.length} host(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await writeKnownHosts();
      const hosts = [];
      for (let i = 0; i < count; i++) if (running.has(i)) hosts.push(running.get(i));
      return { hosts, errors };
    },
    /**
     * Stops every running host and starts hosts 0..count-1 again: fresh overlays (nothing written before is
     * left), fresh PID namespaces (every process started inside is gone), new host keys (known_hosts is
     * rewritten). Returns what ensure() returns.
     */
    async recreate(count) {
      if (stopped) throw new Error('the fleet is stopped');
      await Promise.allSettled([...inflight]);
      const errors = await stopHosts();
      if (errors.length) throw errors[0];
      return this.ensure(count);
    },
    /** Runs `bash -c cmd` as root inside a host (its namespaces + chroot). */
    exec(name, cmd) {
      return script(['exec', name, '--', '/bin/bash', '-c', cmd]);
    },
    /**
     * Stops every host this fleet started (and crash leftovers in its dir); idempotent: a second caller (say the
     * signal handler's cleanup while a scenario's own `finally` is stopping) waits for the same stop.
     */
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

/** A live (not zombie) process with this PID? */
function alive(pid) {
  if (!/^\d+$/.test(String(pid))) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

const readText = (file) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
};

/**
 * Stops every host under `dir` in one pass: SIGKILL each host's `unshare` process group (its --kill-child then
 * kills the namespace init, and with it every process of the PID namespace) and anything still chrooted into a
 * host root, wait for them to go, unmount everything under `dir` lazily (deepest first), and remove the host
 * dirs that no longer hold a mount. The same steps as testhost.sh stop, for all hosts at once.
 */
export async function fastStopAll(dir) {
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const waitFor = [];
  for (const name of names) {
    const upid = readText(join(dir, name, 'pid'));
    const nspid = readText(join(dir, name, 'nspid'));
    if (alive(upid) && readText(`/proc/${upid}/comm`) === 'unshare') {
      for (const target of [-Number(upid), Number(upid)]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
    waitFor.push(upid, nspid);
  }
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    let root = '';
    try {
      root = readlinkSync(`/proc/${p}/root`);
    } catch {
      continue;
    }
    if (root.startsWith(`${dir}/`)) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  for (let i = 0; i < 200 && waitFor.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  const mounts = mountsUnder(dir).sort((a, b) => b.length - a.length);
  for (let i = 0; i < mounts.length; i += 50) await run('/bin/umount', ['-l', ...mounts.slice(i, i + 50)]);
  for (const name of names) {
    const d = join(dir, name);
    if (mountsUnder(d).length === 0 && !alive(readText(join(d, 'nspid')))) await rm(d, { recursive: true, force: true });
  }
}
