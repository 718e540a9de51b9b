#!/usr/bin/env node
// FIM benchmark: `node scripts/bench-fim.mjs [--files 20000] [--gb 3] [--reps 3] [--memory-files 2000,20000,200000]
// [--only speed,memory] [--keep]` (--keep leaves the test host and state in place for profiling)
// (needs root, a built dist/, util-linux and openssh-server for the test host, and aide: apt-get install aide).
//
// One real OpenSSH test host (test/fixtures/testhost.sh, 127.0.1.70, its own state dir) gets a tree of 20,000
// files and about 3 GB (its files live in the host's tmpfs overlay: the page cache, i.e. a warm cache). On that
// tree, interleaved rep by rep and timed in the same run (medians):
//   - promanager fim check --full       end to end on the controller (CLI start, SSH, agent, scan, state update),
//                                       and the host-side scan time the agent reports
//   - aide --check                      AIDE 0.18 with sha256 and the same attributes (p+i+l+u+g+s+m+c+ftype),
//                                       num_workers=2 (the same two cores promanager's hashing threads use)
//   - find | xargs -0 -P2 sha256sum     with -n 1000 so that -P2 really runs two sha256sum at once
//   - promanager fim check              default mode, nothing changed (no file is read again)
// and two floors, to read the no-change figures against:
//   - find -printf of the same attributes   examining every path in C, nothing compared (the least a check costs)
//   - promanager exec true              what any promanager command pays to reach the host (CLI, SSH, state)
//   - ssh host true                     OpenSSH's own client connecting and running nothing
// Targets: full >= 2x faster than aide; full no slower than xargs; no-change default < 1/10 of full.
// Memory: the controller's peak RSS (/usr/bin/time -f %M) for `fim baseline` and `fim check --full` of trees of
// growing size (--memory-files) stays flat.
// Results: a table on stdout, .bench/fim-results.json and .bench/fim-results.md.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TESTHOST = join(ROOT, 'test', 'fixtures', 'testhost.sh');
const PROMANAGER = join(ROOT, 'bin', 'promanager');
const HOST = 'benchfim';
const CAPPED_HEAP_MB = 16;
const IP = '127.0.1.70';

const { values: opts } = parseArgs({
  options: {
    files: { type: 'string', default: '20000' },
    gb: { type: 'string', default: '3' },
    reps: { type: 'string', default: '3' },
    'memory-files': { type: 'string', default: '2000,20000,200000' },
    only: { type: 'string', default: 'speed,memory' },
    keep: { type: 'boolean', default: false },
  },
});
const FILES = Number(opts.files);
const BYTES = Math.round(Number(opts.gb) * 1e9);
const REPS = Number(opts.reps);
const ONLY = new Set(opts.only.split(','));
const MEMORY_SIZES = ONLY.has('memory') ? opts['memory-files'].split(',').filter(Boolean).map(Number) : [];

const log = (m) => process.stderr.write(`[bench-fim] ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

function run(file, args, { env = {}, input, timeoutMs = 1_800_000 } = {}) {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 256 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

const work = mkdtempSync(join(os.tmpdir(), 'pm-bench-fim-'));
const hostsDir = join(work, 'hosts');
const home = join(work, 'home');
const hostEnv = { PM_TESTHOSTS_DIR: hostsDir };

async function hostExec(cmd, timeoutMs) {
  const r = await run('/bin/bash', [TESTHOST, 'exec', HOST, '--', '/bin/bash', '-c', cmd], { env: hostEnv, timeoutMs });
  if (r.code !== 0) throw new Error(`on ${HOST}: ${cmd.slice(0, 120)}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Wall time of a shell line inside the host, measured there (no nsenter overhead). */
async function hostTimed(cmd) {
  const out = await hostExec(`s=$(date +%s%N); ${cmd}; rc=$?; e=$(date +%s%N); echo "TIMED $(( (e - s) / 1000000 )) $rc"`);
  const m = / *TIMED (\d+) (\d+)\s*$/.exec(out);
  if (!m) throw new Error(`no timing in: ${out.slice(-300)}`);
  return { ms: Number(m[1]), code: Number(m[2]) };
}

/** Wall time of OpenSSH's client connecting to the host and running `true`. */
async function sshTrue() {
  const started = performance.now();
  const r = await run('ssh', ['-i', join(work, 'id_ed25519'), '-o', `UserKnownHostsFile=${join(work, 'known_hosts')}`, '-o', 'BatchMode=yes', '-o', 'ControlPath=none', `root@${IP}`, 'true']);
  if (r.code !== 0) throw new Error(`ssh ${IP} true: exit ${r.code}\n${r.stderr}`);
  return performance.now() - started;
}

async function pm(args, expected = [0]) {
  const started = performance.now();
  const r = await run(process.execPath, [PROMANAGER, ...args], { env: { PROMANAGER_HOME: home, PROMANAGER_KNOWN_HOSTS: join(work, 'known_hosts'), NO_COLOR: '1' } });
  const ms = performance.now() - started;
  if (!expected.includes(r.code)) throw new Error(`promanager ${args.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return { ms, ...r };
}

/** Peak RSS in MB of a promanager command, from GNU time; `nodeOptions` e.g. to cap the V8 heap. */
async function pmPeakRss(args, nodeOptions = '') {
  const r = await run('/usr/bin/time', ['-f', 'PEAKRSS %M', process.execPath, PROMANAGER, ...args], { env: { PROMANAGER_HOME: home, PROMANAGER_KNOWN_HOSTS: join(work, 'known_hosts'), NO_COLOR: '1', NODE_OPTIONS: nodeOptions } });
  if (r.code !== 0 && r.code !== 5) throw new Error(`promanager ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return Number(/PEAKRSS (\d+)/.exec(r.stderr)[1]) / 1024;
}

// A tree of `files` files, `bytes` in all: most of them small (config-sized), 2% large (binaries, databases),
// 100 to a directory, content random and distinct per file. Written by Node inside the host (fast enough for GBs).
const GENERATOR = `
const fs = require('fs'), crypto = require('crypto'), path = require('path');
const [root, files, bytes] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const large = Math.max(1, Math.round(files * 0.02)), small = files - large;
const smallSize = Math.round(bytes / 3 / small), largeSize = Math.round((bytes - smallSize * small) / large);
const pool = crypto.randomBytes(16 << 20);
let seed = 12345; const rnd = (n) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
for (let i = 0; i < files; i++) {
  const dir = path.join(root, 'd' + String(Math.floor(i / 1000)).padStart(3, '0'), 's' + String(Math.floor(i / 100) % 10));
  if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
  const size = i % 50 === 0 ? largeSize : Math.max(1, smallSize + rnd(smallSize) - (smallSize >> 1));
  const fd = fs.openSync(path.join(dir, 'f' + i + (i % 7 === 0 ? '.conf' : '.dat')), 'w');
  fs.writeSync(fd, 'file ' + i + '\\n');
  for (let left = size; left > 0;) { const n = Math.min(left, pool.length >> 1); const at = rnd(pool.length - n); fs.writeSync(fd, pool, at, n); left -= n; }
  fs.closeSync(fd);
}
`;

const AIDE_CONF = (tree) => `database_in=file:/bench/aide.db.gz
database_out=file:/bench/aide.db.new.gz
gzip_dbout=yes
num_workers=2
report_url=file:/bench/aide.report
FIM = p+i+l+u+g+s+m+c+ftype+sha256
${tree} FIM
`;

async function setup() {
  if (process.getuid?.() !== 0) throw new Error('run as root (the test host needs namespaces and mounts)');
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('build first: npm run build');
  if (!existsSync('/usr/bin/aide')) {
    log('installing aide (apt-get install aide)');
    const r = await run('apt-get', ['install', '-y', '-q', 'aide'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.code !== 0) throw new Error(`aide is missing and could not be installed:\n${r.stderr}`);
  }
  const key = join(work, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  log(`starting test host ${HOST} on ${IP}`);
  const started = await run('/bin/bash', [TESTHOST, 'start', HOST, IP, '--authorized-key', `${key}.pub`], { env: hostEnv, timeoutMs: 120_000 });
  if (started.code !== 0) throw new Error(`test host did not start:\n${started.stderr}`);
  const pub = readFileSync(join(hostsDir, HOST, 'root', 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
  writeFileSync(join(work, 'known_hosts'), `${IP} ${pub[0]} ${pub[1]}\n`);
  writeFileSync(join(work, 'fleet.yml'), `clusters:\n  bench:\n    hosts:\n      - { name: ${HOST}, ip: ${IP}, ssh: { user: root, key: ${key} } }\n`);
  await pm(['inventory', 'import', join(work, 'fleet.yml')]);
  await hostExec('mkdir -p /bench');
  for (const n of MEMORY_SIZES) {
    await hostExec(`node -e ${shq(GENERATOR)} /bench/mem${n} ${n} ${n * 4096}`, 1_800_000);
    await pm(['fim', 'policy', 'add', `mem${n}`, '-c', 'bench', '--path', `/bench/mem${n}`]);
  }
  if (!ONLY.has('speed')) return null;
  log(`writing ${FILES} files, ${(BYTES / 1e9).toFixed(1)} GB under /bench/tree`);
  await hostExec(`node -e ${shq(GENERATOR)} /bench/tree ${FILES} ${BYTES}`, 1_800_000);
  const du = await hostExec('du -sb /bench/tree | cut -f1; find /bench/tree -type f | wc -l');
  const [bytes, files] = du.trim().split('\n').map(Number);
  await pm(['fim', 'policy', 'add', 'tree', '-c', 'bench', '--path', '/bench/tree']);
  await hostExec(`cat > /bench/aide.conf <<'EOF'\n${AIDE_CONF('/bench/tree')}EOF`);
  return { bytes, files };
}

function shq(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function main() {
  const tree = await setup();
  const results = { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', node: process.version, load_before: os.loadavg()[0] }, tree, reps: REPS };
  if (tree) await speed(results);
  results.memory = [];
  if (MEMORY_SIZES.length) log('memory: peak RSS of the controller as baselines grow');
  for (const n of MEMORY_SIZES) {
    const base = await pmPeakRss(['fim', 'baseline', `mem${n}`]);
    const full = await pmPeakRss(['fim', 'check', `mem${n}`, '--full']);
    results.memory.push({ files: n, baseline_rss_mb: base, check_full_rss_mb: full });
    log(`  ${n} files: baseline ${base.toFixed(0)} MB, check --full ${full.toFixed(0)} MB`);
  }
  // Peak RSS includes garbage V8 has not collected yet; what is live must not grow. With the old generation
  // capped far below the size of the largest baseline, the commands must still succeed.
  const largest = MEMORY_SIZES.at(-1);
  if (largest) {
    const capped = `--max-old-space-size=${CAPPED_HEAP_MB}`;
    results.capped_heap = { files: largest, old_space_mb: CAPPED_HEAP_MB, baseline_rss_mb: await pmPeakRss(['fim', 'baseline', `mem${largest}`, '-y'], capped), check_full_rss_mb: await pmPeakRss(['fim', 'check', `mem${largest}`, '--full'], capped) };
    log(`  ${largest} files with the V8 old generation capped at ${CAPPED_HEAP_MB} MB: both commands succeeded`);
  }
  results.machine.load_after = os.loadavg()[0];
  report(results);
}

async function speed(results) {
  const baseline = await pm(['fim', 'baseline', 'tree', '--json']);
  results.baseline_s = baseline.ms / 1000;
  const init = await hostTimed('aide --init -c /bench/aide.conf >/dev/null 2>&1 && mv /bench/aide.db.new.gz /bench/aide.db.gz');
  results.aide_init_s = init.ms / 1000;
  log(`baselines: promanager ${secs(baseline.ms)}, aide --init ${secs(init.ms)}`);

  const series = { full: [], full_host: [], aide: [], xargs: [], quick: [], quick_host: [], stat_walk: [], exec_floor: [], ssh_floor: [] };
  const scanMs = (stdout) => JSON.parse(stdout.split('\n').find((l) => l.includes('"type":"host"'))).policies[0].report.duration_ms;
  // A warm-up of each so no one pays for a cold start (page cache, agent upload, JIT).
  await pm(['fim', 'check', 'tree', '--full']);
  await hostTimed('aide --check -c /bench/aide.conf >/dev/null 2>&1');
  for (let rep = 1; rep <= REPS; rep++) {
    const aide = await hostTimed('aide --check -c /bench/aide.conf >/dev/null 2>&1');
    if (aide.code !== 0) throw new Error(`aide --check exited ${aide.code} (it found changes? see /bench/aide.report in the host)`);
    series.aide.push(aide.ms);
    series.xargs.push((await hostTimed('find /bench/tree -type f -print0 | xargs -0 -n 1000 -P2 sha256sum >/dev/null')).ms);
    const full = await pm(['fim', 'check', 'tree', '--full', '--json']);
    series.full.push(full.ms);
    series.full_host.push(scanMs(full.stdout));
    for (let q = 0; q < 2; q++) {
      const quick = await pm(['fim', 'check', 'tree', '--json']);
      series.quick.push(quick.ms);
      series.quick_host.push(scanMs(quick.stdout));
    }
    series.stat_walk.push((await hostTimed(`find /bench/tree -printf '%i %s %T@ %C@ %m %U %G %y %l\\n' >/dev/null`)).ms);
    series.exec_floor.push((await pm(['exec', 'true'])).ms);
    series.ssh_floor.push(await sshTrue());
    log(`rep ${rep}: aide ${secs(aide.ms)}, xargs ${secs(series.xargs.at(-1))}, full ${secs(full.ms)} (scan ${secs(series.full_host.at(-1))}), no-change ${secs(series.quick.at(-1))} (scan ${secs(series.quick_host.at(-1))})`);
  }
  const m = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, median(v)]));
  results.median_ms = m;
  results.series_ms = series;
  results.ratios = {
    aide_over_full: m.aide / m.full,
    full_over_xargs: m.full / m.xargs,
    quick_over_full: m.quick / m.full,
    quick_scan_over_full_scan: m.quick_host / m.full_host,
    quick_scan_over_stat_walk: m.quick_host / m.stat_walk,
  };
}

function report(r) {
  const pass = (ok) => (ok ? 'PASS' : 'FAIL');
  const x = (v) => `${v.toFixed(2)}x`;
  const speedLines = !r.tree ? [] : [
    `FIM benchmark: ${r.tree.files} files, ${(r.tree.bytes / 1e9).toFixed(2)} GB, ${r.machine.cpus} cores (${r.machine.cpu}), Node ${r.machine.node}, load average ${r.machine.load_before.toFixed(1)} at the start; medians of ${r.reps} reps (no-change: ${r.reps * 2})`,
    '',
    '| what | median | vs `fim check --full` | target |',
    '|---|---|---|---|',
    `| \`promanager fim check --full\` (end to end) | ${secs(r.median_ms.full)} | 1.00x | |`,
    `| … of which the host-side scan | ${secs(r.median_ms.full_host)} | | |`,
    `| \`aide --check\` (sha256, same attributes, 2 workers) | ${secs(r.median_ms.aide)} | ${x(r.ratios.aide_over_full)} slower | >= 2x: ${pass(r.ratios.aide_over_full >= 2)} |`,
    `| \`find \\| xargs -0 -n 1000 -P2 sha256sum\` | ${secs(r.median_ms.xargs)} | ${x(1 / r.ratios.full_over_xargs)} slower | >= 1x: ${pass(r.ratios.full_over_xargs <= 1)} |`,
    `| \`promanager fim check\`, nothing changed (end to end) | ${secs(r.median_ms.quick)} | ${r.ratios.quick_over_full.toFixed(3)} of it | < 0.1: ${pass(r.ratios.quick_over_full < 0.1)} |`,
    `| … host-side scan | ${secs(r.median_ms.quick_host)} | ${r.ratios.quick_scan_over_full_scan.toFixed(3)} of the full scan | < 0.1: ${pass(r.ratios.quick_scan_over_full_scan < 0.1)} |`,
    `| floor: \`find -printf\` of the same attributes (every path examined in C, nothing compared) | ${secs(r.median_ms.stat_walk)} | the no-change scan is ${x(r.ratios.quick_scan_over_stat_walk)} it | |`,
    `| floor: \`promanager exec true\` (CLI start, SSH handshake, state; no agent) | ${secs(r.median_ms.exec_floor)} | ${(r.median_ms.exec_floor / r.median_ms.full).toFixed(3)} of it | |`,
    `| floor: \`ssh host true\` (OpenSSH's client, nothing else) | ${secs(r.median_ms.ssh_floor)} | ${(r.median_ms.ssh_floor / r.median_ms.full).toFixed(3)} of it | |`,
    '',
    `Baselines: \`promanager fim baseline\` ${r.baseline_s.toFixed(2)} s, \`aide --init\` ${r.aide_init_s.toFixed(2)} s.`,
    '',
  ];
  const lines = [
    ...speedLines,
    '| files in the baseline | controller peak RSS, `fim baseline` | `fim check --full` |',
    '|---|---|---|',
    ...r.memory.map((mm) => `| ${mm.files} | ${mm.baseline_rss_mb.toFixed(0)} MB | ${mm.check_full_rss_mb.toFixed(0)} MB |`),
    ...(r.capped_heap ? ['', `With the V8 old generation capped at ${r.capped_heap.old_space_mb} MB (\`NODE_OPTIONS=--max-old-space-size=${r.capped_heap.old_space_mb}\`), \`fim baseline\` and \`fim check --full\` of the ${r.capped_heap.files}-file tree still succeed (peak RSS ${r.capped_heap.baseline_rss_mb.toFixed(0)} MB and ${r.capped_heap.check_full_rss_mb.toFixed(0)} MB): the growth above is garbage not yet collected, not data kept.`] : []),
  ];
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);
  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  writeFileSync(join(ROOT, '.bench', 'fim-results.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileSync(join(ROOT, '.bench', 'fim-results.md'), text);
}

let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (opts.keep) {
    log(`kept for profiling: PROMANAGER_HOME=${home} PROMANAGER_KNOWN_HOSTS=${join(work, 'known_hosts')} PM_TESTHOSTS_DIR=${hostsDir} (stop: test/fixtures/testhost.sh stop ${HOST})`);
    return;
  }
  await run('/bin/bash', [TESTHOST, 'stop', HOST], { env: hostEnv, timeoutMs: 60_000 });
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

main().then(cleanup, async (err) => {
  log(`failed: ${err.stack ?? err}`);
  await cleanup();
  process.exit(1);
});
