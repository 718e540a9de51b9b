#!/usr/bin/env node
// promanager benchmarks: `npm run bench` (= npm run build && node scripts/bench.mjs).
//
//   node scripts/bench.mjs [--only state|exec|refresh|memory|services[,...]] [--hosts N]
//
// Every number is measured against a baseline measured in the same run, interleaved rep by rep (this
// machine is noisy: absolute seconds mean little, ratios measured side by side do). Medians of 5 reps for
// fast things, 3 for slow ones. Results: a table on stdout, .bench/results.json, .bench/results.md.
//
// Scenarios
//   state    1,000 hosts (4 clusters, labels env/zone/role) imported once from a promanager YAML inventory;
//            `host list --json` and `host list -l 'env=prod,zone in (a,b)'` vs `node -e 0` (target <= 4x);
//            `inventory import` of a 1,000-host Ansible INI into a fresh state (target < 1 s).
//   exec     50 real test hosts (127.0.1.100-149, OpenSSH in namespaces, test/fixtures/testhost.sh);
//            `promanager exec -f 50 -- true` vs a bare ssh2 fan-out (target <= 1.25x) and vs
//            `ansible all -m raw -a true -f 50`, pipelining on, no connection reuse (target <= 0.6x).
//   refresh  `promanager host refresh -f 50` (agent already uploaded; the first, uploading run is reported
//            too) vs `ansible all -m setup -f 50` (target <= 0.3x).
//   memory   controller peak RSS (/usr/bin/time -v) of `promanager exec -f 200 -- true` on 200 hosts
//            (target < 300 MB), with a bare ssh2 fan-out over the same hosts as the baseline.
//   services 20 test hosts of their own (127.0.3.1-20, recreated before every rep, so every rep uploads, unpacks
//            and starts for real): `promanager service install prometheus --version 2.42.0` followed by
//            `... node_exporter --version 1.5.0` (-f 20) vs a minimal Ansible playbook doing the same
//            (`ansible-playbook -f 20`, per component: unarchive the tarball from the controller into a
//            versioned dir, write a start script and setsid nohup it, wait_for the port) (target <= 0.5x).
//            The tarballs are the integration tests' mirror tarballs (Debian binaries in the official layout,
//            /tmp/pm-mirror-cache/.store), served to promanager by a small HTTP mirror inside this script; the
//            controller's artifact cache is warmed once before the reps (the reps download nothing, the
//            mirror's request log shows it). 3 reps of each side take about 5.5 min: Ansible needs ~85 s a rep.
//
// --hosts N runs exec/refresh on N hosts, memory on 4N and services on min(20, N) (quick mode); the state scenario
// always uses 1,000.
//
// The bare ssh2 fan-out runs in its own Node process (this script, `--bare-ssh2 <spec>`), so it pays the same
// process start-up as promanager does. It keeps at most 20 handshakes in flight, as promanager does
// (src/app/remote-run.ts: handshakes = min(20, forks)); earlier versions used 10 because a stock sshd's MaxStartups (10:30:100)
// starts dropping unauthenticated connections past 10. MaxStartups counts per sshd, and the test hosts'
// sshd sets MaxStartups 200, so the extra "no handshake limit" row shows what that global limit costs here.
//
// Everything the bench creates (test hosts, state dirs, keys, inventories, Ansible's temp dirs) lives under
// one work dir in /tmp and is removed at the end, also on failure or Ctrl-C.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, get as httpGet } from 'node:http';
import { connect as netConnect } from 'node:net';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createFleet, mountsUnder, settleAll } from './bench-hosts.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SELF = fileURLToPath(import.meta.url);
const NODE = process.execPath;
/** The CLI under test: a snapshot of bin/ and dist/ taken at start (see snapshotBuild), so a rebuild of the tree
 * during the run (npm run build deletes dist/ first) cannot break it halfway. */
let APP = ROOT;
let PROMANAGER = join(ROOT, 'bin', 'promanager');
const SCENARIOS = ['state', 'exec', 'refresh', 'memory', 'services'];
const FAST_REPS = 5;
const SLOW_REPS = 3;

// ------------------------------------------------------------------------------------------------------------
// The bare ssh2 fan-out (a child process of the bench): connect, exec, close, at most `limit` handshakes at once.
// ------------------------------------------------------------------------------------------------------------
async function bareSsh2(specFile) {
  const spec = JSON.parse(readFileSync(specFile, 'utf8'));
  const { default: ssh2 } = await import('ssh2');
  const privateKey = readFileSync(spec.keyFile);
  const limit = spec.limit > 0 ? spec.limit : Infinity;
  let active = 0;
  const waiting = [];
  const acquire = () => (active < limit ? (active++, Promise.resolve()) : new Promise((r) => waiting.push(r)));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const one = async (h) => {
    await acquire();
    let released = false;
    const done = () => {
      if (!released) {
        released = true;
        release();
      }
    };
    return new Promise((resolve) => {
      const client = new ssh2.Client();
      let settled = false;
      const finish = (err) => {
        done();
        if (settled) return;
        settled = true;
        client.end();
        resolve(err ? `${h.ip}: ${err}` : null);
      };
      client.on('ready', () => {
        done(); // the handshake slot is free once authenticated, as in promanager
        client.exec(spec.command, (err, stream) => {
          if (err) return finish(err.message);
          let code = null;
          stream.on('exit', (c) => (code = c));
          stream.on('close', () => finish(code === 0 ? null : `exit ${code}`));
          stream.resume();
          stream.stderr.resume();
          stream.end();
        });
      });
      client.on('error', (err) => finish(err.message));
      client.on('close', () => finish('connection closed'));
      client.connect({ host: h.ip, port: h.port, username: spec.user, privateKey, readyTimeout: 20_000, hostVerifier: () => true });
    });
  };
  const results = await Promise.all(spec.hosts.map(one));
  const errors = results.filter(Boolean);
  process.stdout.write(JSON.stringify({ hosts: spec.hosts.length, ok: spec.hosts.length - errors.length, failed: errors.length, errors: errors.slice(0, 5) }) + '\n');
  process.exitCode = errors.length ? 1 : 0;
}

// ------------------------------------------------------------------------------------------------------------
// Process running, cleanup, signals
// ------------------------------------------------------------------------------------------------------------
const T0 = performance.now();
const children = new Set();
const cleanups = [];
let aborting = false;
let cleaning = null;

function log(msg) {
  process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

class Aborted extends Error {
  constructor() {
    super('interrupted');
  }
}

function runCleanups() {
  if (!cleaning) {
    cleaning = (async () => {
      for (const child of children) child.kill('SIGTERM');
      while (cleanups.length) {
        const { what, fn } = cleanups.pop();
        try {
          await fn();
        } catch (err) {
          process.stderr.write(`bench: cleanup of ${what} failed: ${err instanceof Error ? err.message : err}\n`);
        }
      }
    })();
  }
  return cleaning;
}

function onSignal(sig) {
  if (aborting) {
    process.stderr.write(`bench: ${sig} again; still cleaning up (stopping test hosts), please wait\n`);
    return;
  }
  aborting = true;
  process.stderr.write(`\nbench: ${sig}: stopping, cleaning up test hosts and temp dirs...\n`);
  runCleanups().finally(() => process.exit(130));
}

/**
 * Runs a command, timing it from spawn to exit. Never throws for a non-zero exit: returns
 * { code, signal, ms, stdout, stderr, timedOut }.
 */
let cpuDir = null;
let cpuSeq = 0;
function runCmd(file, args, { env = {}, timeoutMs = 600_000, cwd = ROOT, cpu = false } = {}) {
  if (aborting) return Promise.reject(new Aborted());
  // cpu: also take the child's user+system CPU seconds, through /usr/bin/time (the same wrapper for baseline and
  // subject, so its own cost cancels out of the ratio).
  let cpuFile = null;
  if (cpu && cpuDir && existsSync('/usr/bin/time')) {
    cpuFile = join(cpuDir, `cpu-${++cpuSeq}.txt`);
    args = ['-f', '%U %S', '-o', cpuFile, file, ...args];
    file = '/usr/bin/time';
  }
  return new Promise((resolve) => {
    const out = [];
    let outBytes = 0;
    let err = '';
    let timedOut = false;
    let exitMs = null;
    const t0 = performance.now();
    const child = spawn(file, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.stdout.on('data', (d) => {
      if (outBytes < 8 << 20) out.push(d);
      outBytes += d.length;
    });
    child.stderr.on('data', (d) => {
      err = (err + d.toString('utf8')).slice(-64_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', () => {
      exitMs = performance.now() - t0;
    });
    child.on('error', (e) => {
      err += String(e.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      let cpuS;
      if (cpuFile) {
        try {
          const [u, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
          if (Number.isFinite(u) && Number.isFinite(sys)) cpuS = u + sys;
        } catch {
          // no CPU figure for this run
        }
      }
      resolve({ code: code ?? (signal ? 128 : 1), signal, ms: exitMs ?? performance.now() - t0, cpu: cpuS, stdout: Buffer.concat(out).toString('utf8'), stdoutBytes: outBytes, stderr: err, timedOut });
    });
  });
}

const promanager = (args, env, timeoutMs, opts = {}) => runCmd(NODE, [PROMANAGER, ...args], { env, timeoutMs, ...opts });

function tail(text, lines = 30) {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? [`... (${all.length - lines} earlier lines)`, ...all.slice(-lines)] : all).join('\n');
}

function describeFailure(r) {
  if (r.timedOut) return `timed out after ${(r.ms / 1000).toFixed(0)} s`;
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}`;
}

function printFailure(label, r) {
  process.stderr.write(`\n----- FAILED: ${label}: ${describeFailure(r)}; stderr: -----\n${tail(r.stderr || '(empty)')}\n----- end of stderr -----\n\n`);
}

// ------------------------------------------------------------------------------------------------------------
// Measuring
// ------------------------------------------------------------------------------------------------------------
const median = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Measures variants interleaved rep by rep (the order rotates every rep so no variant always runs first after
 * a slow one). variant: { key, label, command, reps, warmup?, prepare?(), run(), value?(r) (default: seconds),
 * check?(r) -> error message or null }. Returns key -> { samples, median, failures, error }.
 */
async function measure(scenario, variants) {
  const res = new Map(variants.map((v) => [v.key, { samples: [], cpu: [], failures: 0, error: null, extra: [] }]));
  const once = async (v, tag) => {
    const st = res.get(v.key);
    if (st.skip) return;
    if (v.prepare) await v.prepare();
    const r = await v.run();
    if (aborting) throw new Aborted();
    const problem = r.code !== 0 || r.timedOut ? describeFailure(r) : v.check?.(r) ?? null;
    if (problem) {
      st.failures++;
      if (!st.error) {
        st.error = `${problem}: ${tail(r.stderr || r.stdout || '', 6).replace(/\s+/g, ' ').slice(0, 400)}`;
        printFailure(`${scenario}: ${v.label} (${tag})`, r);
      }
      if (r.timedOut) st.skip = true; // do not wait for the deadline again and again
    }
    const value = v.value ? v.value(r) : r.ms / 1000;
    if (tag !== 'warm-up' && value !== null && value !== undefined) {
      st.samples.push(value);
      st.extra.push(r);
      if (r.cpu !== undefined) st.cpu.push(r.cpu);
    }
    log(`${scenario}: ${v.label} ${tag}: ${v.format ? v.format(value) : `${value?.toFixed(3)} s`}${problem ? `  FAILED (${problem})` : ''}`);
  };
  for (const v of variants) if (v.warmup) await once(v, 'warm-up');
  const maxReps = Math.max(...variants.map((v) => v.reps));
  for (let i = 0; i < maxReps; i++) {
    const order = variants.map((_, j) => variants[(i + j) % variants.length]);
    for (const v of order) if (i < v.reps) await once(v, `rep ${i + 1}/${v.reps}`);
  }
  for (const st of res.values()) {
    st.median = median(st.samples);
    st.cpuMedian = median(st.cpu);
  }
  return res;
}

const rows = [];
const notes = [];

/**
 * One result row. target: { kind: 'ratio' | 'abs', op: '<=' | '<', value, unit } checked against the ratio
 * (kind ratio) or the median (kind abs).
 */
function addRow({ scenario, label, command, unit = 's', st, baseline = null, target = null, note = null }) {
  const ratio = baseline && st.median !== null && baseline.st.median ? st.median / baseline.st.median : null;
  const cpuRatio = baseline && st.cpuMedian != null && baseline.st.cpuMedian ? st.cpuMedian / baseline.st.cpuMedian : null;
  let pass = null;
  if (target && st.median !== null) {
    const v = target.kind === 'ratio' ? ratio : st.median;
    if (v !== null) pass = target.op === '<' ? v < target.value : v <= target.value;
  }
  const ok = st.failures === 0 && st.samples.length > 0;
  const baselineOk = !baseline || (baseline.st.failures === 0 && baseline.st.samples.length > 0);
  rows.push({
    scenario, label, command: command ?? null, unit,
    samples: st.samples.map((x) => Number(x.toFixed(4))),
    median: st.median === null ? null : Number(st.median.toFixed(4)),
    min: st.samples.length ? Number(Math.min(...st.samples).toFixed(4)) : null,
    max: st.samples.length ? Number(Math.max(...st.samples).toFixed(4)) : null,
    ok,
    failures: st.failures,
    error: st.error,
    baseline: baseline ? { label: baseline.label, median: baseline.st.median === null ? null : Number(baseline.st.median.toFixed(4)), ok: baselineOk } : null,
    ratio: ratio === null ? null : Number(ratio.toFixed(3)),
    cpu_s: st.cpu.length ? { samples: st.cpu.map((x) => Number(x.toFixed(3))), median: Number(st.cpuMedian.toFixed(3)) } : null,
    cpu_ratio: cpuRatio === null ? null : Number(cpuRatio.toFixed(3)),
    target,
    pass: ok && baselineOk ? pass : pass === null ? null : false,
    note,
  });
}

function failedScenario(scenario, message) {
  rows.push({ scenario, label: '(scenario could not run)', command: null, unit: null, samples: [], median: null, min: null, max: null, ok: false, failures: 1, error: message, baseline: null, ratio: null, target: null, pass: false, note: null });
  process.stderr.write(`\nbench: scenario ${scenario} could not run: ${message}\n\n`);
}

// ------------------------------------------------------------------------------------------------------------
// Inventories
// ------------------------------------------------------------------------------------------------------------
const CLUSTERS = [
  { name: 'prod-bj', env: 'prod' },
  { name: 'prod-sh', env: 'prod' },
  { name: 'staging', env: 'staging' },
  { name: 'dev', env: 'dev' },
];
const ZONES = ['a', 'b', 'c', 'd'];
const ROLES = ['node', 'node', 'node', 'prometheus', 'alertmanager', 'pushgateway', 'blackbox'];

/** A promanager YAML inventory: `count` hosts spread over 4 clusters, labels env (per cluster), zone, role. */
function bigYamlInventory(count) {
  const out = ['# generated by scripts/bench.mjs', 'defaults:', '  ssh: { user: root, port: 22, key: ~/.ssh/id_ed25519, become: false }', '  vars: { prometheus_port: 9090 }', 'clusters:'];
  const per = Math.ceil(count / CLUSTERS.length);
  CLUSTERS.forEach((c, ci) => {
    out.push(`  ${c.name}:`, `    description: bench cluster ${c.name}`, `    labels: { env: ${c.env} }`, '    hosts:');
    for (let j = 0; j < per && ci * per + j < count; j++) {
      const n = ci * per + j;
      out.push(`      - { name: ${c.name}-${String(j).padStart(4, '0')}, ip: 10.${ci + 1}.${Math.floor(j / 250)}.${(j % 250) + 1}, labels: { zone: ${ZONES[n % 4]}, role: ${ROLES[n % ROLES.length]} } }`);
    }
  });
  return out.join('\n') + '\n';
}

/** The expected answer of `-l 'env=prod,zone in (a,b)'` for bigYamlInventory(count). */
function expectedSelected(count) {
  const per = Math.ceil(count / CLUSTERS.length);
  let n = 0;
  CLUSTERS.forEach((c, ci) => {
    for (let j = 0; j < per && ci * per + j < count; j++) if (c.env === 'prod' && ['a', 'b'].includes(ZONES[(ci * per + j) % 4])) n++;
  });
  return n;
}

/** An Ansible INI inventory: `count` hosts in role groups, grouped again by env through :children. */
function bigAnsibleIni(count) {
  const groups = new Map();
  for (let i = 0; i < count; i++) {
    const env = i % 4 < 2 ? 'prod' : i % 4 === 2 ? 'staging' : 'dev';
    const g = `${env}_${ROLES[i % ROLES.length]}`;
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(`host-${String(i).padStart(4, '0')}.example.com ansible_host=10.200.${Math.floor(i / 250)}.${(i % 250) + 1} zone=${ZONES[i % 4]}${i % 10 === 0 ? ' ansible_port=2222' : ''}`);
  }
  const out = ['# generated by scripts/bench.mjs'];
  for (const [g, hosts] of groups) out.push(`[${g}]`, ...hosts, '');
  for (const env of ['prod', 'staging', 'dev']) {
    out.push(`[${env}:children]`, ...[...groups.keys()].filter((g) => g.startsWith(`${env}_`)), '', `[${env}:vars]`, `env=${env}`, '');
  }
  out.push('[all:vars]', 'ansible_user=root', 'ansible_ssh_private_key_file=~/.ssh/id_ed25519', '');
  return out.join('\n');
}

/** promanager YAML inventory for real test hosts. */
function fleetYaml(hosts, keyFile) {
  return [
    'defaults:',
    `  ssh: { user: root, port: 22, key: ${JSON.stringify(keyFile)} }`,
    'clusters:',
    '  bench:',
    '    labels: { env: bench }',
    '    hosts:',
    ...hosts.map((h) => `      - { name: ${h.name}, ip: ${h.ip} }`),
    '',
  ].join('\n');
}

function fleetIni(hosts, keyFile) {
  return [
    '[bench]',
    ...hosts.map((h) => `${h.name} ansible_host=${h.ip}`),
    '',
    '[all:vars]',
    'ansible_user=root',
    `ansible_ssh_private_key_file=${keyFile}`,
    'ansible_python_interpreter=/usr/bin/python3',
    '',
  ].join('\n');
}

// ------------------------------------------------------------------------------------------------------------
// Scenarios
// ------------------------------------------------------------------------------------------------------------
const nodeBaseline = (reps = FAST_REPS) => ({ key: 'node', label: 'node -e 0', command: 'node -e 0', reps, warmup: true, run: () => runCmd(NODE, ['-e', '0'], { cpu: true }) });

async function scenarioState(ctx) {
  const COUNT = 1000;
  const home = join(ctx.work, 'state-home');
  const yml = join(ctx.work, 'fleet-1000.yml');
  const ini = join(ctx.work, 'ansible-1000.ini');
  await writeFile(yml, bigYamlInventory(COUNT));
  await writeFile(ini, bigAnsibleIni(COUNT));
  const env = { PROMANAGER_HOME: home };

  const imp = await promanager(['inventory', 'import', yml], env);
  if (imp.code !== 0) {
    printFailure('state: inventory import of the 1,000-host YAML', imp);
    failedScenario('state', `promanager inventory import of the generated YAML failed (${describeFailure(imp)}): ${tail(imp.stderr, 3)}`);
    return;
  }
  log(`state: imported ${COUNT} hosts from YAML in ${(imp.ms / 1000).toFixed(2)} s`);
  const selector = 'env=prod,zone in (a,b)';
  const want = expectedSelected(COUNT);
  const checkList = (r) => {
    try {
      const n = JSON.parse(r.stdout).length;
      return n === COUNT ? null : `listed ${n} hosts, expected ${COUNT}`;
    } catch (e) {
      return `stdout is not JSON: ${e.message}`;
    }
  };
  const checkSel = (r) => {
    const n = r.stdout.split('\n').filter((l) => l.trim() && !/^NAME\b/.test(l)).length;
    return n === want ? null : `selected ${n} hosts, expected ${want}`;
  };
  const m = await measure('state', [
    nodeBaseline(),
    { key: 'version', label: 'promanager -V', reps: FAST_REPS, warmup: true, run: () => promanager(['-V'], env, undefined, { cpu: true }) },
    { key: 'list', label: 'host list --json', reps: FAST_REPS, warmup: true, run: () => promanager(['host', 'list', '--json'], env, undefined, { cpu: true }), check: checkList },
    { key: 'select', label: `host list -l '${selector}'`, reps: FAST_REPS, warmup: true, run: () => promanager(['host', 'list', '-l', selector], env, undefined, { cpu: true }), check: checkSel },
  ]);
  const node = { label: 'node -e 0', st: m.get('node') };
  addRow({ scenario: 'state', label: 'node -e 0 (baseline)', command: 'node -e 0', st: m.get('node') });
  addRow({ scenario: 'state', label: 'promanager -V (CLI start-up, info)', command: 'promanager -V', st: m.get('version'), baseline: node });
  addRow({ scenario: 'state', label: 'host list --json, 1,000 hosts', command: 'promanager host list --json', st: m.get('list'), baseline: node, target: { kind: 'ratio', op: '<=', value: 4 } });
  addRow({ scenario: 'state', label: `host list -l '${selector}' (${want} of 1,000)`, command: `promanager host list -l '${selector}'`, st: m.get('select'), baseline: node, target: { kind: 'ratio', op: '<=', value: 4 } });

  let fresh = 0;
  const m2 = await measure('state', [
    nodeBaseline(),
    {
      key: 'ini', label: 'inventory import (1,000-host INI, fresh state)', reps: FAST_REPS, warmup: true,
      prepare: async () => {
        fresh++;
      },
      run: () => promanager(['inventory', 'import', ini, '--cluster', 'legacy'], { PROMANAGER_HOME: join(ctx.work, `ini-home-${fresh}`) }, undefined, { cpu: true }),
      check: (r) => (/1000 host\(s\) added/.test(r.stderr + r.stdout) ? null : `did not report 1000 hosts added: ${tail(r.stderr + r.stdout, 2)}`),
    },
    {
      key: 'yml', label: 'inventory import (1,000-host YAML, fresh state)', reps: FAST_REPS, warmup: false,
      prepare: async () => {
        fresh++;
      },
      run: () => promanager(['inventory', 'import', yml], { PROMANAGER_HOME: join(ctx.work, `ini-home-${fresh}`) }, undefined, { cpu: true }),
      check: (r) => (/1000 host\(s\) added/.test(r.stderr + r.stdout) ? null : `did not report 1000 hosts added: ${tail(r.stderr + r.stdout, 2)}`),
    },
  ]);
  addRow({ scenario: 'state', label: 'inventory import, 1,000-host Ansible INI into a fresh state', command: 'promanager inventory import ansible-1000.ini --cluster legacy', st: m2.get('ini'), baseline: { label: 'node -e 0', st: m2.get('node') }, target: { kind: 'abs', op: '<', value: 1, unit: 's' } });
  addRow({ scenario: 'state', label: 'inventory import, 1,000-host promanager YAML into a fresh state (info)', command: 'promanager inventory import fleet-1000.yml', st: m2.get('yml'), baseline: { label: 'node -e 0', st: m2.get('node') } });
}

/** Registers the first `count` fleet hosts in a fresh promanager home; returns its env, or null. */
async function fleetSetup(ctx, scenario, count) {
  const { hosts, errors } = await ctx.fleet.ensure(count);
  if (aborting) throw new Aborted();
  if (errors.length) {
    process.stderr.write(`bench: ${errors.length} host(s) did not start; first error:\n${errors[0].message}\n`);
    notes.push(`${scenario}: only ${hosts.length} of ${count} test hosts started (${errors[0].message.split('\n')[0]})`);
  }
  if (hosts.length === 0) return null;
  const tag = `${scenario}-${hosts.length}`;
  const home = join(ctx.work, `home-${tag}`);
  const yml = join(ctx.work, `${tag}.yml`);
  const ini = join(ctx.work, `${tag}.ini`);
  const spec = join(ctx.work, `${tag}-ssh2.json`);
  const specUnlimited = join(ctx.work, `${tag}-ssh2-unlimited.json`);
  await writeFile(yml, fleetYaml(hosts, ctx.fleet.keyFile));
  await writeFile(ini, fleetIni(hosts, ctx.fleet.keyFile));
  const base = { hosts: hosts.map((h) => ({ ip: h.ip, port: h.port })), keyFile: ctx.fleet.keyFile, user: 'root', command: 'true' };
  await writeFile(spec, JSON.stringify({ ...base, limit: 20 }));
  await writeFile(specUnlimited, JSON.stringify({ ...base, limit: 0 }));
  const env = { PROMANAGER_HOME: home, PROMANAGER_KNOWN_HOSTS: ctx.fleet.knownHostsFile };
  const imp = await promanager(['inventory', 'import', yml], env);
  if (imp.code !== 0) {
    printFailure(`${scenario}: inventory import of the test hosts`, imp);
    failedScenario(scenario, `could not register the test hosts: ${tail(imp.stderr, 3)}`);
    return null;
  }
  return { hosts, env, ini, spec, specUnlimited, home };
}

function ansibleEnv(ctx) {
  return {
    ANSIBLE_CONFIG: ctx.ansibleCfg,
    ANSIBLE_HOME: join(ctx.work, 'ansible'),
    ANSIBLE_LOCAL_TEMP: join(ctx.work, 'ansible', 'tmp'),
    ANSIBLE_PIPELINING: '1',
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_SSH_ARGS: '-o ControlMaster=no -o ControlPersist=no -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_DEPRECATION_WARNINGS: 'False',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
  };
}

const ansibleCheck = (n) => (r) => {
  const ok = (r.stdout.match(/\| (?:CHANGED|SUCCESS)/g) ?? []).length;
  return ok === n ? null : `${ok} of ${n} hosts succeeded`;
};

async function scenarioExec(ctx) {
  const f = await fleetSetup(ctx, 'exec', ctx.hostCount);
  if (!f) return failedScenario('exec', 'no test hosts');
  const n = f.hosts.length;
  const variants = [
    { key: 'ssh2', label: `bare ssh2 fan-out, ${n} hosts, 20 handshakes`, reps: FAST_REPS, warmup: true, run: () => runCmd(NODE, [SELF, '--bare-ssh2', f.spec], { timeoutMs: 180_000 }) },
    { key: 'ssh2u', label: `bare ssh2 fan-out, ${n} hosts, no handshake limit`, reps: SLOW_REPS, warmup: false, run: () => runCmd(NODE, [SELF, '--bare-ssh2', f.specUnlimited], { timeoutMs: 180_000 }) },
    { key: 'pm', label: `promanager exec -f 50 -- true, ${n} hosts`, reps: FAST_REPS, warmup: true, run: () => promanager(['exec', '-f', '50', '--', 'true'], f.env, 180_000) },
  ];
  if (ctx.ansible) variants.push({ key: 'ansible', label: `ansible -m raw -a true -f 50, ${n} hosts`, reps: SLOW_REPS, run: () => runCmd('ansible', ['all', '-i', f.ini, '-m', 'raw', '-a', 'true', '-f', '50'], { env: ansibleEnv(ctx), timeoutMs: 300_000 }), check: ansibleCheck(n) });
  const m = await measure('exec', variants);
  const ssh2 = { label: 'bare ssh2 (20 handshakes)', st: m.get('ssh2') };
  addRow({ scenario: 'exec', label: `bare ssh2 fan-out, 20 handshakes in flight (baseline)`, command: `node scripts/bench.mjs --bare-ssh2 (${n} hosts)`, st: m.get('ssh2') });
  addRow({ scenario: 'exec', label: 'bare ssh2 fan-out, no handshake limit (info)', command: `node scripts/bench.mjs --bare-ssh2 (${n} hosts, limit 0)`, st: m.get('ssh2u'), baseline: ssh2 });
  if (ctx.ansible) addRow({ scenario: 'exec', label: 'ansible -m raw -a true -f 50 (baseline)', command: 'ansible all -i <ini> -m raw -a true -f 50', st: m.get('ansible') });
  addRow({ scenario: 'exec', label: `promanager exec -- true, ${n} hosts, vs bare ssh2`, command: 'promanager exec -f 50 -- true', st: m.get('pm'), baseline: ssh2, target: { kind: 'ratio', op: '<=', value: 1.25 } });
  if (ctx.ansible) addRow({ scenario: 'exec', label: `promanager exec -- true, ${n} hosts, vs ansible raw`, command: 'promanager exec -f 50 -- true', st: m.get('pm'), baseline: { label: 'ansible raw', st: m.get('ansible') }, target: { kind: 'ratio', op: '<=', value: 0.6 } });
}

async function scenarioRefresh(ctx) {
  const f = await fleetSetup(ctx, 'refresh', ctx.hostCount);
  if (!f) return failedScenario('refresh', 'no test hosts');
  const n = f.hosts.length;
  // The hosts are overlays of this machine's /, so they see its /var/lib/promanager (left by a local run of
  // promanager, e.g. the tests' local connector). Remove it inside every host (the overlay's upper layer only)
  // so that the first run really uploads the agent.
  // Done from outside through the overlay mount (fast; writes whiteouts into the host's tmpfs upper layer),
  // only where the host root is the overlay mount it should be.
  const wipeErrors = await settleAll(f.hosts, 8, async (h) => {
    if (!mountsUnder(h.root).includes(h.root)) throw new Error(`${h.name}: ${h.root} is not mounted`);
    for (const p of ['var/lib/promanager', 'root/.cache/promanager']) await rm(join(h.root, p), { recursive: true, force: true });
  });
  if (wipeErrors.length) notes.push(`refresh: could not remove the agent dir on ${wipeErrors.length} host(s): ${wipeErrors[0].message}`);
  const agentDir = join(f.hosts[0].root, 'var/lib/promanager/agent');
  const agentSha = JSON.parse(readFileSync(join(APP, 'dist', 'agent.json'), 'utf8')).sha256;
  const hadAgent = existsSync(join(agentDir, `${agentSha}.cjs`));
  const refresh = () => promanager(['host', 'refresh', '-f', '50'], f.env, 300_000);
  const checkRefresh = (r) => {
    const m = /(\d+) host\(s\): (\d+) ok/.exec(r.stderr + r.stdout);
    return m && Number(m[2]) === n ? null : `not every host refreshed: ${tail(r.stderr, 1)}`;
  };
  const first = await measure('refresh', [{ key: 'first', label: `promanager host refresh, first run (${hadAgent ? 'agent already present!' : 'uploads the agent'})`, reps: 1, run: refresh, check: checkRefresh }]);
  const variants = [{ key: 'pm', label: `promanager host refresh -f 50, ${n} hosts`, reps: SLOW_REPS, run: refresh, check: checkRefresh }];
  if (ctx.ansible) variants.unshift({ key: 'ansible', label: `ansible -m setup -f 50, ${n} hosts`, reps: SLOW_REPS, run: () => runCmd('ansible', ['all', '-i', f.ini, '-m', 'setup', '-f', '50'], { env: ansibleEnv(ctx), timeoutMs: 600_000 }), check: ansibleCheck(n) });
  const m = await measure('refresh', variants);
  const ans = ctx.ansible ? { label: 'ansible setup', st: m.get('ansible') } : null;
  if (ans) addRow({ scenario: 'refresh', label: 'ansible -m setup -f 50 (baseline)', command: 'ansible all -i <ini> -m setup -f 50', st: m.get('ansible') });
  addRow({ scenario: 'refresh', label: `host refresh, first run (${hadAgent ? 'agent was already there' : 'uploads the agent'}), ${n} hosts`, command: 'promanager host refresh -f 50', st: first.get('first'), baseline: ans });
  addRow({ scenario: 'refresh', label: `host refresh, agent in place, ${n} hosts`, command: 'promanager host refresh -f 50', st: m.get('pm'), baseline: ans, target: ans ? { kind: 'ratio', op: '<=', value: 0.3 } : null });
}

async function scenarioMemory(ctx) {
  const want = ctx.quick ? Math.min(200, ctx.hostCount * 4) : 200;
  const f = await fleetSetup(ctx, 'memory', want);
  if (!f) return failedScenario('memory', 'no test hosts');
  const n = f.hosts.length;
  if (n < want) notes.push(`memory: measured on ${n} hosts, not ${want}: the rest did not start`);
  const rssMb = (r) => {
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    return m ? Number(m[1]) / 1024 : null;
  };
  const timed = (args, env, timeoutMs) => runCmd('/usr/bin/time', ['-v', ...args], { env, timeoutMs });
  const fmt = (v) => (v === null ? 'no RSS' : `${v.toFixed(1)} MB`);
  const m = await measure('memory', [
    { key: 'node', label: 'node -e 0 peak RSS', reps: SLOW_REPS, value: rssMb, format: fmt, run: () => timed([NODE, '-e', '0']) },
    { key: 'ssh2', label: `bare ssh2 fan-out peak RSS, ${n} hosts`, reps: SLOW_REPS, value: rssMb, format: fmt, run: () => timed([NODE, SELF, '--bare-ssh2', f.spec], {}, 300_000) },
    { key: 'pm', label: `promanager exec -f 200 peak RSS, ${n} hosts`, reps: SLOW_REPS, value: rssMb, format: fmt, run: () => timed([NODE, PROMANAGER, 'exec', '-f', '200', '--', 'true'], f.env, 300_000) },
  ]);
  const wall = (key) => median(m.get(key).extra.map((r) => r.ms / 1000));
  const ssh2 = { label: 'bare ssh2', st: m.get('ssh2') };
  addRow({ scenario: 'memory', label: 'node -e 0 peak RSS (info)', command: '/usr/bin/time -v node -e 0', unit: 'MB', st: m.get('node') });
  addRow({ scenario: 'memory', label: `bare ssh2 fan-out peak RSS, ${n} hosts (baseline; wall ${wall('ssh2')?.toFixed(2)} s)`, command: '/usr/bin/time -v node scripts/bench.mjs --bare-ssh2', unit: 'MB', st: m.get('ssh2'), note: `wall ${wall('ssh2')?.toFixed(2)} s` });
  addRow({ scenario: 'memory', label: `promanager exec -f 200 -- true peak RSS, ${n} hosts (wall ${wall('pm')?.toFixed(2)} s)`, command: '/usr/bin/time -v promanager exec -f 200 -- true', unit: 'MB', st: m.get('pm'), baseline: ssh2, target: { kind: 'abs', op: '<', value: 300, unit: 'MB' }, note: `wall ${wall('pm')?.toFixed(2)} s` });
}

// ------------------------------------------------------------------------------------------------------------
// services: promanager service install vs a minimal Ansible playbook, on a fleet of its own
// ------------------------------------------------------------------------------------------------------------
const SVC_HOSTS = 20;
const SVC_FORKS = 20;
/** The integration tests' mirror store (test/fixtures/mirror.ts): tarballs in the official release layout. */
const MIRROR_STORE = '/tmp/pm-mirror-cache/.store';
const SVC_COMPONENTS = [
  { name: 'prometheus', version: '2.42.0', port: 9090, health: '/-/ready', binary: 'prometheus' },
  { name: 'node_exporter', version: '1.5.0', port: 9100, health: '/metrics', binary: 'node_exporter' },
];
const svcIp = (i) => `127.0.3.${i + 1}`;
const svcName = (i) => `svc-${String(i + 1).padStart(2, '0')}`;

function releaseArchOfThisMachine() {
  return { x64: 'amd64', arm64: 'arm64', arm: 'armv7', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }[process.arch] ?? process.arch;
}

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('error', reject).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex')));
  });
}

/** The newest non-broken `<component>-<version>.linux-<arch>.<key>.tar.gz` of the mirror store, or null. */
async function storedTarball(component, version, arch) {
  if (!existsSync(MIRROR_STORE)) return null;
  const prefix = `${component}-${version}.linux-${arch}.`;
  const hits = readdirSync(MIRROR_STORE)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.tar.gz') && !f.slice(prefix.length).startsWith('broken.'))
    .map((f) => ({ f, mtime: statSync(join(MIRROR_STORE, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  if (!hits.length) return null;
  const path = join(MIRROR_STORE, hits[0].f);
  return { component, version, arch, file: `${component}-${version}.linux-${arch}.tar.gz`, path, bytes: statSync(path).size, sha256: await sha256File(path) };
}

/**
 * A release mirror on 127.0.0.1 (ephemeral port) in the official layout:
 * <base>/<component>/releases/download/v<version>/<file> and .../sha256sums.txt. Counts the requests.
 */
async function startReleaseMirror(artifacts) {
  const routes = new Map();
  for (const a of artifacts) {
    const dir = `/${a.component}/releases/download/v${a.version}`;
    routes.set(`${dir}/${a.file}`, { file: a.path, type: 'application/gzip' });
    const sums = routes.get(`${dir}/sha256sums.txt`)?.body ?? '';
    routes.set(`${dir}/sha256sums.txt`, { body: `${sums}${a.sha256}  ${a.file}\n`, type: 'text/plain; charset=utf-8' });
  }
  const requests = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.get(path);
    requests.push({ method: req.method, path, status: route ? 200 : 404 });
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(route ? 405 : 404, { 'Content-Type': 'text/plain' });
      return res.end(route ? 'method not allowed\n' : 'Not Found\n');
    }
    const size = route.body !== undefined ? Buffer.byteLength(route.body) : statSync(route.file).size;
    res.writeHead(200, { 'Content-Type': route.type, 'Content-Length': String(size) });
    if (req.method === 'HEAD') return res.end();
    if (route.body !== undefined) return res.end(route.body);
    createReadStream(route.file).on('error', () => res.destroy()).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closed = null;
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    requests,
    tarballRequests: () => requests.filter((r) => r.path.endsWith('.tar.gz')).length,
    close() {
      closed ??= new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

/**
 * The Ansible side, as small as it gets (on this machine every task costs about 1 s per host: a round of SSH
 * connections, Python on both ends): one play, no fact gathering; per component three tasks: unarchive the
 * tarball from the controller (copies it over, unpacks it into /opt; the release's top dir
 * `/opt/<component>-<version>.linux-<arch>/` is the versioned dir), one shell task that writes a start script
 * with the same flags and listen address as promanager's and starts it detached (setsid nohup), wait_for the
 * port. Prometheus reads the release's own prometheus.yml.
 */
function servicesPlaybook(artifacts) {
  const q = (v) => JSON.stringify(v);
  const out = ['# generated by scripts/bench.mjs: the minimal Ansible equivalent of two `promanager service install`s', '- name: install prometheus and node_exporter', '  hosts: all', '  gather_facts: false', '  tasks:'];
  const task = (name, module, args) => {
    out.push(`    - name: ${q(name)}`, `      ${module}:`);
    for (const [k, v] of Object.entries(args)) {
      if (typeof v === 'string' && v.includes('\n')) out.push(`        ${k}: |`, ...v.trimEnd().split('\n').map((l) => `          ${l}`));
      else out.push(`        ${k}: ${q(v)}`);
    }
  };
  for (const c of SVC_COMPONENTS) {
    const a = artifacts.find((x) => x.component === c.name);
    const dir = `/opt/${a.file.replace(/\.tar\.gz$/, '')}`;
    const listen = `{{ listen_ip }}:${c.port}`;
    const dataDir = c.name === 'prometheus' ? `/var/lib/bench/${c.name}` : `/var/lib/bench/${c.name}/textfile`;
    const flags = c.name === 'prometheus'
      ? [`--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${dataDir}`, '--storage.tsdb.retention.time=15d', `--web.listen-address=${listen}`, '--web.enable-lifecycle', `--web.console.templates=${dir}/consoles`, `--web.console.libraries=${dir}/console_libraries`]
      : [`--web.listen-address=${listen}`, `--collector.textfile.directory=${dataDir}`];
    task(`${c.name}: copy and unarchive into ${dir}`, 'ansible.builtin.unarchive', { src: a.path, dest: '/opt', creates: `${dir}/${c.binary}` });
    task(`${c.name}: start script, start`, 'ansible.builtin.shell', {
      cmd: [
        `mkdir -p ${dataDir}`,
        `cat >${dir}/start.sh <<'EOF'`,
        '#!/bin/sh',
        `exec ${dir}/${c.binary} ${flags.join(' ')}`,
        'EOF',
        `chmod 0755 ${dir}/start.sh`,
        `setsid nohup ${dir}/start.sh >>${dir}/${c.name}.log 2>&1 </dev/null &`,
        '',
      ].join('\n'),
    });
    task(`${c.name}: wait for the port`, 'ansible.builtin.wait_for', { host: '{{ listen_ip }}', port: c.port, timeout: 60 });
  }
  return out.join('\n') + '\n';
}

/** HTTP health of every component on every host (retried up to ~15 s): null, or what is not answering. */
async function servicesHealthy(hosts) {
  const probe = (url) => new Promise((resolve) => {
    const req = httpGet(url, { timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
  });
  const urls = hosts.flatMap((h) => SVC_COMPONENTS.map((c) => `http://${h.ip}:${c.port}${c.health}`));
  let bad = urls;
  for (let i = 0; i < 15 && bad.length; i++) {
    if (i) await new Promise((r) => setTimeout(r, 1000));
    const st = await Promise.all(bad.map(probe));
    bad = bad.filter((_, j) => st[j] !== 200);
  }
  return bad.length ? `${bad.length} of ${urls.length} endpoints not answering 200 after the run (first: ${bad[0]})` : null;
}

/** Anything answering on a service port of these hosts (before a rep: must be nothing). */
async function servicePortsInUse(hosts) {
  const open = (host, port) => new Promise((resolve) => {
    const s = netConnect({ host, port });
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
  const pairs = hosts.flatMap((h) => SVC_COMPONENTS.map((c) => [h.ip, c.port]));
  const st = await Promise.all(pairs.map(([ip, port]) => open(ip, port)));
  return pairs.filter((_, i) => st[i]).map(([ip, port]) => `${ip}:${port}`);
}

async function scenarioServices(ctx) {
  const want = ctx.quick ? Math.min(SVC_HOSTS, ctx.hostCount) : SVC_HOSTS;
  const arch = releaseArchOfThisMachine();
  const artifacts = [];
  for (const c of SVC_COMPONENTS) {
    const a = await storedTarball(c.name, c.version, arch);
    if (!a) {
      return failedScenario('services', `no ${c.name}-${c.version}.linux-${arch}.*.tar.gz in ${MIRROR_STORE}: build the mirror tarballs once with \`npx vitest run test/integration/mirror.test.ts\` (needs the Debian prometheus packages)`);
    }
    artifacts.push(a);
  }
  const mirror = await startReleaseMirror(artifacts);
  cleanups.push({ what: 'services release mirror', fn: () => mirror.close() });
  const fleet = await createFleet({ workDir: ctx.work, tag: 'svc', ipOf: svcIp, nameOf: svcName, log, shouldStop: () => aborting });
  const stopFleet = async () => {
    const errors = await fleet.stop();
    if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
  };
  cleanups.push({ what: 'services test hosts', fn: stopFleet });
  try {
    await servicesMeasure(ctx, { want, artifacts, mirror, fleet });
  } finally {
    await mirror.close();
    log('services: stopping its test hosts');
    // Stops them now rather than at exit; errors are reported by the cleanup registered above (same stop).
    await fleet.stop();
  }
}

async function servicesMeasure(ctx, { want, artifacts, mirror, fleet }) {
  const first = await fleet.ensure(want);
  if (aborting) throw new Aborted();
  if (first.errors.length || first.hosts.length !== want) {
    throw new Error(`only ${first.hosts.length} of ${want} services test hosts started: ${first.errors[0]?.message ?? '?'}`);
  }
  const hosts = first.hosts;
  const n = hosts.length;
  const busy = await servicePortsInUse(hosts);
  if (busy.length) throw new Error(`something already listens on ${busy.join(', ')} (another run?); the services scenario needs these ports`);

  const home = join(ctx.work, 'home-services');
  const yml = join(ctx.work, 'services.yml');
  const ini = join(ctx.work, 'services.ini');
  const playbook = join(ctx.work, 'services-playbook.yml');
  await writeFile(yml, [
    'defaults:',
    `  ssh: { user: root, port: 22, key: ${JSON.stringify(fleet.keyFile)} }`,
    `  vars: { artifact_mirror: '${mirror.baseUrl}', health_timeout: 60 }`,
    'clusters:',
    '  svc:',
    '    hosts:',
    ...hosts.map((h) => `      - { name: ${h.name}, ip: ${h.ip}, vars: { prometheus_listen_address: '${h.ip}:9090', node_exporter_listen_address: '${h.ip}:9100' } }`),
    '',
  ].join('\n'));
  await writeFile(ini, [
    '[svc]',
    ...hosts.map((h) => `${h.name} ansible_host=${h.ip} listen_ip=${h.ip}`),
    '',
    '[all:vars]',
    'ansible_user=root',
    `ansible_ssh_private_key_file=${fleet.keyFile}`,
    'ansible_python_interpreter=/usr/bin/python3',
    '',
  ].join('\n'));
  await writeFile(playbook, servicesPlaybook(artifacts));
  const env = { PROMANAGER_HOME: home, PROMANAGER_KNOWN_HOSTS: fleet.knownHostsFile };
  const imp = await promanager(['inventory', 'import', yml], env);
  if (imp.code !== 0) {
    printFailure('services: inventory import', imp);
    throw new Error(`could not register the services test hosts: ${tail(imp.stderr, 3)}`);
  }
  // Warm the controller's artifact cache once (download from the local mirror + sha256 check); the reps then
  // measure upload, unpack, set-up, start and health gate, which is what the Ansible side does too.
  let fetchS = 0;
  for (const c of SVC_COMPONENTS) {
    const r = await promanager(['artifact', 'fetch', c.name, c.version, '--mirror', mirror.baseUrl], env, 120_000);
    if (r.code !== 0) {
      printFailure(`services: artifact fetch ${c.name} ${c.version}`, r);
      throw new Error(`promanager artifact fetch ${c.name} ${c.version} from the bench mirror failed: ${tail(r.stderr, 3)}`);
    }
    fetchS += r.ms / 1000;
  }
  const warmTarballs = mirror.tarballRequests();
  log(`services: controller artifact cache warmed in ${fetchS.toFixed(2)} s (${warmTarballs} tarball download(s) from the bench mirror)`);

  // Before every rep of either side: recreate the hosts (fresh overlays and PID namespaces: no files and no
  // processes of the previous rep) and remove what the overlay shows of this machine's own promanager dirs,
  // so that every rep uploads the agent and the tarballs and installs from nothing.
  const recreateS = [];
  let used = false; // the hosts as first started are fresh: the first rep only wipes
  const fresh = async () => {
    const t = performance.now();
    let hs = hosts;
    if (used) {
      const again = await fleet.recreate(want);
      if (aborting) throw new Aborted();
      if (again.errors.length || again.hosts.length !== n) throw new Error(`recreating the services test hosts: ${again.hosts.length} of ${n} started: ${again.errors[0]?.message ?? '?'}`);
      hs = again.hosts;
      recreateS.push((performance.now() - t) / 1000);
    }
    used = true;
    const wipe = await settleAll(hs, 8, async (h) => {
      if (!mountsUnder(h.root).includes(h.root)) throw new Error(`${h.name}: ${h.root} is not mounted`);
      for (const p of ['var/lib/promanager', 'opt/promanager', 'etc/promanager', 'var/log/promanager', 'root/.cache/promanager', 'var/lib/bench', ...artifacts.map((a) => `opt/${a.file.replace(/\.tar\.gz$/, '')}`)]) {
        await rm(join(h.root, p), { recursive: true, force: true });
      }
    });
    if (wipe.length) throw wipe[0];
    const busyNow = await servicePortsInUse(hs);
    if (busyNow.length) throw new Error(`after recreating the hosts, something still listens on ${busyNow.join(', ')}`);
  };

  const pmSteps = new Map(SVC_COMPONENTS.map((c) => [c.name, []]));
  const runPm = async () => {
    const steps = [];
    for (const c of SVC_COMPONENTS) {
      const r = await promanager(['service', 'install', c.name, '--version', c.version, '-f', String(SVC_FORKS), '--json'], env, 300_000, { cpu: true });
      steps.push({ c, r });
      if (r.code !== 0 || r.timedOut) break;
    }
    const rs = steps.map((s) => s.r);
    const failed = rs.find((r) => r.code !== 0 || r.timedOut);
    const r = {
      code: failed ? failed.code : 0, signal: failed?.signal ?? null, timedOut: rs.some((x) => x.timedOut),
      ms: rs.reduce((a, x) => a + x.ms, 0),
      cpu: rs.every((x) => x.cpu !== undefined) ? rs.reduce((a, x) => a + x.cpu, 0) : undefined,
      stdout: rs.map((x) => x.stdout).join(''), stderr: rs.map((x) => x.stderr).join(''), steps,
    };
    if (!failed) {
      for (const s of steps) pmSteps.get(s.c.name).push(s.r.ms / 1000);
      r.problem = pmProblem(steps) ?? (await servicesHealthy(hosts));
    }
    return r;
  };
  const pmProblem = (steps) => {
    for (const { c, r } of steps) {
      let lines;
      try {
        lines = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.type === 'host');
      } catch (e) {
        return `${c.name}: --json output is not NDJSON: ${e.message}`;
      }
      const good = lines.filter((l) => l.ok && l.changed && l.uploaded && l.status === 'running' && l.health === 'ok' && l.version === c.version);
      if (good.length !== n) {
        const bad = lines.find((l) => !good.includes(l));
        return `${c.name}: ${good.length} of ${n} hosts installed, uploaded, running and healthy${bad ? ` (e.g. ${bad.host}: ${JSON.stringify({ ok: bad.ok, changed: bad.changed, uploaded: bad.uploaded, status: bad.status, health: bad.health, error: bad.error })})` : ''}`;
      }
    }
    return null;
  };
  const runAnsible = async () => {
    const r = await runCmd('ansible-playbook', ['-i', ini, playbook, '-f', String(SVC_FORKS)], { env: ansibleEnv(ctx), timeoutMs: 300_000, cpu: true });
    if (r.code === 0 && !r.timedOut) {
      const recap = [...r.stdout.matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
      const good = recap.filter((m) => m[4] === '0' && m[5] === '0' && Number(m[3]) > 0);
      r.problem = good.length !== n ? `PLAY RECAP: ${good.length} of ${n} hosts ok and changed` : await servicesHealthy(hosts);
    }
    return r;
  };
  const variants = [{ key: 'pm', label: `promanager service install prometheus + node_exporter -f ${SVC_FORKS}, ${n} hosts`, reps: SLOW_REPS, prepare: fresh, run: runPm, check: (r) => r.problem ?? null }];
  if (ctx.ansiblePlaybook) variants.push({ key: 'ansible', label: `ansible-playbook -f ${SVC_FORKS} (same two installs), ${n} hosts`, reps: SLOW_REPS, prepare: fresh, run: runAnsible, check: (r) => r.problem ?? null });
  const m = await measure('services', variants);
  const downloadsDuringReps = mirror.tarballRequests() - warmTarballs;
  // Node's own warnings on promanager's stderr (e.g. MaxListenersExceededWarning) are worth a look: reported, not failed.
  const warnings = new Map();
  for (const r of m.get('pm').extra) {
    for (const w of r.stderr.match(/^\(node:\d+\) [^\n]*/gm) ?? []) {
      const key = w.replace(/^\(node:\d+\) /, '');
      warnings.set(key, (warnings.get(key) ?? 0) + 1);
    }
  }
  for (const [w, count] of warnings) notes.push(`services: promanager printed a Node warning in ${count} of ${m.get('pm').extra.length * SVC_COMPONENTS.length} \`service install\` runs: ${w}`);

  const ans = ctx.ansiblePlaybook ? { label: 'ansible-playbook', st: m.get('ansible') } : null;
  if (ans) addRow({ scenario: 'services', label: `ansible-playbook -f ${SVC_FORKS} (unarchive from the controller, start script + setsid nohup, wait_for; prometheus + node_exporter), ${n} fresh hosts (baseline)`, command: `ansible-playbook -i <ini> services-playbook.yml -f ${SVC_FORKS}`, st: m.get('ansible') });
  addRow({ scenario: 'services', label: `service install prometheus 2.42.0 + node_exporter 1.5.0, ${n} fresh hosts`, command: `promanager service install prometheus --version 2.42.0 -f ${SVC_FORKS} && promanager service install node_exporter --version 1.5.0 -f ${SVC_FORKS}`, st: m.get('pm'), baseline: ans, target: ans ? { kind: 'ratio', op: '<=', value: 0.5 } : null });
  for (const c of SVC_COMPONENTS) {
    const samples = pmSteps.get(c.name);
    const st = { samples, cpu: [], failures: 0, error: null, median: median(samples), cpuMedian: null };
    addRow({ scenario: 'services', label: `  of which service install ${c.name} ${c.version} (info)`, command: `promanager service install ${c.name} --version ${c.version} -f ${SVC_FORKS}`, st });
  }
  const mb = (a) => (a.bytes / 1048576).toFixed(1);
  notes.push(
    `services: ${n} test hosts of their own (127.0.3.1-${n}, per-host prometheus_listen_address/node_exporter_listen_address, since all test hosts share this machine's network namespace), ` +
      `recreated before every rep of either side (fresh overlay and PID namespace, ~${median(recreateS)?.toFixed(1)} s, not timed), so every rep uploads ${mb(artifacts[0])} + ${mb(artifacts[1])} MiB to every host and installs from nothing. ` +
      `promanager: two \`service install\` runs (-f ${SVC_FORKS}, --json), each: agent (uploaded by the first run of every rep: hosts start without it), facts, upload of the tarball (sha256 checked on the host), unpack into /opt/promanager/<c>/<v>, atomic \`current\` switch, system user, dirs, default config, built-in supervisor (no systemd in the test hosts), start, health gate on /-/ready or /metrics; ` +
      `the controller's artifact cache was warmed once before the reps (artifact fetch from the bench's local mirror, ${fetchS.toFixed(1)} s, not timed; ${downloadsDuringReps} tarball download(s) during the reps). ` +
      `Ansible (the minimum, as every task costs a round of SSH connections per host): one play, gather_facts off, per component three tasks: unarchive (the same tarball, copied from the controller and unpacked into /opt; the release's top dir /opt/<c>-<v>.linux-amd64 is the versioned dir), shell (mkdir the data dir, write start.sh with the same flags and listen address, setsid nohup start.sh &), wait_for (port); runs as root; no system user, no config of its own (Prometheus reads the release's prometheus.yml), no supervisor, no HTTP health check, tarball not kept on the host (the bench checks both sides' HTTP endpoints after every rep, untimed). ` +
      `Both: ${SVC_FORKS} hosts at once, same key and user. Tarballs: the integration tests' mirror tarballs (Debian binaries in the official layout).`,
  );
}

// ------------------------------------------------------------------------------------------------------------
// Output
// ------------------------------------------------------------------------------------------------------------
function fmtValue(v, unit) {
  if (v === null || v === undefined) return '-';
  return unit === 'MB' ? `${v.toFixed(1)} MB` : `${v.toFixed(3)} s`;
}

function fmtTarget(t) {
  if (!t) return '';
  return t.kind === 'ratio' ? `${t.op} ${t.value}x` : `${t.op} ${t.value} ${t.unit}`;
}

function tableRows() {
  return rows.map((r) => ({
    scenario: r.scenario,
    measurement: r.label,
    median: r.ok || r.samples.length ? `${fmtValue(r.median, r.unit)}${r.samples.length > 1 ? ` (n=${r.samples.length})` : ''}` : '-',
    spread: r.samples.length > 1 ? `${fmtValue(r.min, r.unit)} .. ${fmtValue(r.max, r.unit)}` : '',
    baseline: r.baseline ? `${r.baseline.label}: ${fmtValue(r.baseline.median, r.unit)}` : '',
    ratio: r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`,
    cpu: r.cpu_s ? `${r.cpu_s.median.toFixed(2)} s${r.cpu_ratio === null ? '' : ` (${r.cpu_ratio.toFixed(2)}x)`}` : '',
    target: fmtTarget(r.target),
    result: !r.ok ? `FAILED${r.error ? ` (${r.error.split(':')[0]})` : ''}` : r.pass === null ? '' : r.pass ? 'ok' : 'MISSED',
  }));
}

const COLUMNS = [['scenario', 'Scenario'], ['measurement', 'Measurement'], ['median', 'Median'], ['spread', 'Min .. max'], ['baseline', 'Baseline (median)'], ['ratio', 'Ratio'], ['target', 'Target'], ['result', 'Result'], ['cpu', 'CPU user+sys (ratio), info']];

function textTable() {
  const data = tableRows();
  const width = COLUMNS.map(([k, h]) => Math.max(h.length, ...data.map((d) => d[k].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(width[i])).join('  ').trimEnd();
  return [line(COLUMNS.map(([, h]) => h)), line(width.map((w) => '-'.repeat(w))), ...data.map((d) => line(COLUMNS.map(([k]) => d[k])))].join('\n');
}

function markdown(meta) {
  const esc = (s) => s.replace(/\|/g, '\\|');
  const data = tableRows();
  const out = [
    `### Benchmarks`,
    '',
    `Measured ${meta.finished_at.slice(0, 10)} on ${meta.machine.cpus}× ${meta.machine.cpu_model} (${meta.machine.mem_gb} GB), ${meta.machine.os}, Node ${meta.node}, ${meta.ansible ?? 'no Ansible'}; ` +
      `commit ${meta.commit ?? 'unknown'}. Test hosts are real OpenSSH servers in namespaces on the same machine (test/fixtures/testhost.sh), ` +
      `so the remote side competes with the controller for the same ${meta.machine.cpus} cores. Every measurement is set against a baseline measured in the same run, interleaved rep by rep; ` +
      `medians of ${FAST_REPS} (fast) or ${SLOW_REPS} (slow) reps. Reproduce with \`npm run bench\`${meta.args.length ? ` (this run: \`${meta.args.join(' ')}\`)` : ''}.`,
    '',
    `| ${COLUMNS.map(([, h]) => h).join(' | ')} |`,
    `|${COLUMNS.map(() => '---').join('|')}|`,
    ...data.map((d) => `| ${COLUMNS.map(([k]) => esc(d[k])).join(' | ')} |`),
    '',
  ];
  if (meta.notes.length) out.push(...meta.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

/**
 * Copies bin/, dist/, templates/, inventory/ and package.json into <work>/app (node_modules is a symlink), so the
 * run measures one build even when the shared tree is rebuilt meanwhile.
 */
function snapshotBuild(work) {
  const app = join(work, 'app');
  mkdirSync(app, { recursive: true });
  for (const d of ['bin', 'dist', 'templates', 'inventory']) if (existsSync(join(ROOT, d))) cpSync(join(ROOT, d), join(app, d), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  for (const f of ['bin/promanager', 'dist/cli.js', 'dist/agent.cjs', 'dist/agent.json']) {
    if (!existsSync(join(app, f))) throw new Error(`the build is incomplete: ${f} is missing (was dist/ being rebuilt? run npm run build and try again)`);
  }
  APP = app;
  PROMANAGER = join(app, 'bin', 'promanager');
}

// ------------------------------------------------------------------------------------------------------------
// Main
// ------------------------------------------------------------------------------------------------------------
function usage(msg) {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write('usage: node scripts/bench.mjs [--only state|exec|refresh|memory|services[,...]] [--hosts N (1-50)]\n');
  process.exit(2);
}

function commandOk(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({ options: { only: { type: 'string', multiple: true }, hosts: { type: 'string' }, 'bare-ssh2': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    usage(err.message);
  }
  const o = parsed.values;
  if (o['bare-ssh2']) {
    await bareSsh2(o['bare-ssh2']);
    return process.exitCode ?? 0;
  }
  if (o.help) usage();
  const only = (o.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const s of only) if (!SCENARIOS.includes(s)) usage(`unknown scenario '${s}' (one of ${SCENARIOS.join(', ')})`);
  const selected = only.length ? SCENARIOS.filter((s) => only.includes(s)) : SCENARIOS;
  let hostCount = 50;
  if (o.hosts !== undefined) {
    if (!/^\d+$/.test(o.hosts) || Number(o.hosts) < 1 || Number(o.hosts) > 50) usage('--hosts must be a whole number from 1 to 50');
    hostCount = Number(o.hosts);
  }
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) usage('dist/cli.js is missing: run `npm run build` first (npm run bench does)');

  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGHUP', () => onSignal('SIGHUP'));

  const needFleet = selected.some((s) => s !== 'state');
  if (needFleet && (typeof process.getuid !== 'function' || process.getuid() !== 0)) usage('the exec, refresh, memory and services scenarios start test hosts and need root (try --only state)');
  const ansibleVersion = commandOk('ansible', ['--version'])?.split('\n')[0] ?? null;
  const ansiblePlaybook = Boolean(ansibleVersion && commandOk('ansible-playbook', ['--version']));
  if (!ansibleVersion && selected.some((s) => s === 'exec' || s === 'refresh' || s === 'services')) notes.push('Ansible is not installed (apt-get install ansible): the Ansible baselines were skipped');
  const hasTime = existsSync('/usr/bin/time');

  const work = await mkdtemp(join(os.tmpdir(), 'pm-bench-'));
  cleanups.push({
    what: `work dir ${work}`,
    fn: async () => {
      const left = mountsUnder(work);
      if (left.length) throw new Error(`not removing ${work}: still mounted: ${left.join(' ')}`);
      await rm(work, { recursive: true, force: true });
    },
  });
  snapshotBuild(work);
  cpuDir = work;
  const ansibleCfg = join(work, 'ansible.cfg');
  await writeFile(ansibleCfg, '# empty: every setting comes from the environment\n');
  await mkdir(join(work, 'ansible', 'tmp'), { recursive: true });
  const ctx = { work, hostCount, quick: o.hosts !== undefined, ansible: Boolean(ansibleVersion), ansiblePlaybook, ansibleCfg, fleet: null };
  // The services scenario brings a fleet of its own (its hosts are recreated before every rep).
  if (needFleet && selected.some((s) => s !== 'state' && s !== 'services')) {
    ctx.fleet = await createFleet({ workDir: work, log, shouldStop: () => aborting });
    cleanups.push({
      what: 'test hosts',
      fn: async () => {
        log('stopping test hosts');
        const errors = await ctx.fleet.stop();
        if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
        log('test hosts stopped');
      },
    });
  }
  if (selected.includes('exec') || selected.includes('memory')) notes.push('exec/memory: the bare ssh2 fan-out runs in its own Node process (same start-up cost as promanager) and keeps at most 20 handshakes in flight, like promanager (src/app/remote-run.ts): key exchange is the CPU-heavy part of a connection. With one connection per host, sshd\'s MaxStartups (per server) is never the limit; the "no handshake limit" row shows what the bound costs.');
  if (ctx.ansible && (selected.includes('exec') || selected.includes('refresh') || selected.includes('services'))) notes.push('Ansible: ANSIBLE_PIPELINING=1, host key checking off, ANSIBLE_SSH_ARGS="-o ControlMaster=no -o ControlPersist=no" (no connection reuse across runs), ansible_python_interpreter=/usr/bin/python3, same key and user as promanager.');
  if (ctx.quick) notes.push(`quick run: --hosts ${hostCount} (exec/refresh on ${hostCount} hosts, memory on ${Math.min(200, hostCount * 4)}, services on ${Math.min(SVC_HOSTS, hostCount)}); the targets are meant for 50/200/${SVC_HOSTS}.`);

  const startedAt = new Date().toISOString();
  const load0 = os.loadavg();
  const durations = {};
  for (const s of selected) {
    if (aborting) break;
    const t = performance.now();
    log(`=== scenario ${s} ===`);
    try {
      if (s === 'state') await scenarioState(ctx);
      else if (s === 'exec') await scenarioExec(ctx);
      else if (s === 'refresh') await scenarioRefresh(ctx);
      else if (s === 'services') await scenarioServices(ctx);
      else if (s === 'memory') {
        if (!hasTime) failedScenario('memory', '/usr/bin/time is missing (apt-get install time)');
        else await scenarioMemory(ctx);
      }
    } catch (err) {
      if (err instanceof Aborted || aborting) break;
      failedScenario(s, err instanceof Error ? err.stack ?? err.message : String(err));
    }
    durations[s] = Number(((performance.now() - t) / 1000).toFixed(1));
    log(`=== scenario ${s} done in ${durations[s]} s ===`);
  }
  if (aborting) return 130;

  const commit = commandOk('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = commandOk('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no']);
  const cpus = os.cpus();
  const meta = {
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    total_s: Number(((performance.now() - T0) / 1000).toFixed(1)),
    scenario_s: durations,
    args: process.argv.slice(2),
    scenarios: selected,
    hosts: hostCount,
    commit: commit ? `${commit}${dirty ? '+dirty' : ''}` : null,
    node: process.version,
    ansible: ansibleVersion,
    machine: { cpus: cpus.length, cpu_model: cpus[0]?.model?.trim() ?? 'unknown', mem_gb: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}`, loadavg_start: load0, loadavg_end: os.loadavg() },
    notes,
  };
  const outDir = join(ROOT, '.bench');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), JSON.stringify({ meta, results: rows }, null, 2) + '\n');
  writeFileSync(join(outDir, 'results.md'), markdown(meta));

  process.stdout.write(`\n${textTable()}\n\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(`\nwritten: .bench/results.json, .bench/results.md (total ${meta.total_s} s)\n`);
  const failed = rows.filter((r) => !r.ok).length;
  const missed = rows.filter((r) => r.ok && r.pass === false).length;
  if (failed || missed) process.stdout.write(`${failed} measurement(s) failed, ${missed} target(s) missed\n`);
  return failed ? 1 : 0;
}

main().then(
  async (code) => {
    await runCleanups();
    process.exit(aborting ? 130 : code ?? 0);
  },
  async (err) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack : err}\n`);
    await runCleanups();
    process.exit(1);
  },
);
