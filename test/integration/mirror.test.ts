import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianVersionOf, startMirror } from '../fixtures/mirror.js';
import type { Mirror, MirrorArtifact, MirrorSpec } from '../fixtures/mirror.js';

const SPECS: MirrorSpec[] = [
  { component: 'prometheus', version: '2.42.0' },
  { component: 'node_exporter', version: '1.5.0' },
  { component: 'alertmanager', version: '0.25.0' },
  { component: 'prometheus', version: '2.99.0', broken: true },
  { component: 'node_exporter', version: '1.5.1', badChecksum: true },
];

/** Files every tarball of a component must hold (below its top-level directory); binaries first. */
const EXPECTED: Record<string, { binaries: string[]; files: string[] }> = {
  prometheus: { binaries: ['prometheus', 'promtool'], files: ['prometheus.yml', 'LICENSE', 'NOTICE', 'consoles/', 'console_libraries/'] },
  alertmanager: { binaries: ['alertmanager', 'amtool'], files: ['alertmanager.yml', 'LICENSE', 'NOTICE'] },
  node_exporter: { binaries: ['node_exporter'], files: ['LICENSE', 'NOTICE'] },
};

const missing = ['prometheus', 'node_exporter', 'alertmanager'].filter((c) => debianVersionOf(c) === null);
const reason = missing.length > 0 ? `Debian packages missing for ${missing.join(', ')} (apt-get install prometheus prometheus-alertmanager prometheus-node-exporter)` : undefined;
const title = reason === undefined ? 'release mirror fixture' : `release mirror fixture (skipped: ${reason})`;

interface Res {
  stdout: string;
  stderr: string;
  code: number;
}

function run(file: string, args: string[]): Promise<Res> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const c = (err as { code?: unknown } | null)?.code;
      resolve({ stdout, stderr, code: err ? (typeof c === 'number' ? c : 1) : 0 });
    });
  });
}

/** A raw GET that keeps the path as written (fetch would normalize `..`). */
function rawGet(baseUrl: string, path: string): Promise<number> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

describe.skipIf(reason !== undefined)(title, () => {
  let mirror: Mirror | undefined;
  let work = '';
  /** Tarballs fetched over HTTP, by file name. */
  const downloaded = new Map<string, string>();

  const m = (): Mirror => {
    if (!mirror) throw new Error('mirror not started');
    return mirror;
  };
  const artifact = (component: string, version: string): MirrorArtifact => {
    const a = m().artifacts.find((x) => x.component === component && x.version === version);
    if (!a) throw new Error(`no artifact ${component} ${version}`);
    return a;
  };
  const extract = async (a: MirrorArtifact): Promise<string> => {
    const tarball = downloaded.get(a.file);
    if (!tarball) throw new Error(`${a.file} was not downloaded`);
    const dest = join(work, `x-${a.component}-${a.version}`);
    await rm(dest, { recursive: true, force: true });
    await mkdir(dest);
    const r = await run('tar', ['-xzf', tarball, '-C', dest]);
    expect(r.code, r.stderr).toBe(0);
    return join(dest, `${a.component}-${a.version}.linux-${a.arch}`);
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'pm-mirror-test-'));
    const t0 = Date.now();
    mirror = await startMirror(SPECS);
    const built = mirror.artifacts.filter((a) => !a.cached).length;
    console.log(`mirror: ${mirror.artifacts.length} artifacts (${built} built, ${mirror.artifacts.length - built} cached) in ${Date.now() - t0} ms at ${mirror.baseUrl}`);
  }, 300_000);

  afterAll(async () => {
    await mirror?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reads the Debian upstream versions', () => {
    for (const c of ['prometheus', 'node_exporter', 'alertmanager']) expect(debianVersionOf(c)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(debianVersionOf('no_such_exporter')).toBeNull();
  });

  it('lays artifacts out like the GitHub releases', () => {
    const mm = m();
    expect(mm.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mm.artifacts).toHaveLength(SPECS.length);
    for (const a of mm.artifacts) {
      if (process.arch === 'x64') expect(a.arch).toBe('amd64');
      expect(a.file).toBe(`${a.component}-${a.version}.linux-${a.arch}.tar.gz`);
      expect(a.url).toBe(`${mm.baseUrl}/${a.component}/releases/download/v${a.version}/${a.file}`);
      expect(a.sumsUrl).toBe(`${mm.baseUrl}/${a.component}/releases/download/v${a.version}/sha256sums.txt`);
      expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('serves sha256sums.txt and tarballs whose checksums match (except the badChecksum one)', async () => {
    const mm = m();
    for (const spec of SPECS) {
      const a = artifact(spec.component, spec.version);
      const sums = await fetch(a.sumsUrl);
      expect(sums.status).toBe(200);
      const lines = (await sums.text()).split('\n').filter((l) => l !== '');
      const listed = lines.map((l) => /^([0-9a-f]{64}) {2}(\S+)$/.exec(l)).find((x) => x?.[2] === a.file)?.[1];
      expect(listed, `sha256sums.txt of ${a.component} ${a.version} lists ${a.file}`).toBeDefined();

      const res = await fetch(a.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/gzip');
      const body = Buffer.from(await res.arrayBuffer());
      expect(Number(res.headers.get('content-length'))).toBe(body.length);
      const actual = sha256(body);
      expect(actual).toBe(a.sha256);
      if (spec.badChecksum) {
        expect(listed).not.toBe(actual);
        expect(listed).toBe(a.listedSha256);
      } else {
        expect(listed).toBe(actual);
      }
      const path = join(work, a.file);
      await writeFile(path, body);
      downloaded.set(a.file, path);
      expect(mm.requests.filter((p) => p === new URL(a.url).pathname)).toHaveLength(1);
    }
  });

  it('packs one top-level directory with the official files, binaries 0755 owned by root', async () => {
    for (const spec of SPECS) {
      const a = artifact(spec.component, spec.version);
      const tarball = downloaded.get(a.file);
      if (!tarball) throw new Error(`${a.file} was not downloaded`);
      const r = await run('tar', ['--numeric-owner', '-tvzf', tarball]);
      expect(r.code, r.stderr).toBe(0);
      const top = `${a.component}-${a.version}.linux-${a.arch}/`;
      const members = new Map<string, { mode: string; owner: string }>();
      for (const line of r.stdout.split('\n').filter((l) => l !== '')) {
        // -rwxr-xr-x 0/0 49921048 2023-01-01 00:00 prometheus-2.42.0.linux-amd64/prometheus
        const f = line.split(/\s+/);
        members.set(f.slice(5).join(' '), { mode: f[0] ?? '', owner: f[1] ?? '' });
      }
      for (const name of members.keys()) expect(name.startsWith(top), name).toBe(true);
      const want = EXPECTED[a.component];
      if (!want) throw new Error(`no expectations for ${a.component}`);
      for (const b of want.binaries) {
        expect(members.get(`${top}${b}`), `${a.file} holds ${top}${b}`).toEqual({ mode: '-rwxr-xr-x', owner: '0/0' });
      }
      for (const f of want.files) expect(members.has(`${top}${f}`), `${a.file} holds ${top}${f}`).toBe(true);
      for (const { owner } of members.values()) expect(owner).toBe('0/0');
    }
  });

  it('extracted binaries run and the default configs are valid', async () => {
    const prom = await extract(artifact('prometheus', '2.42.0'));
    const pv = await run(join(prom, 'prometheus'), ['--version']);
    expect(pv.code, pv.stderr).toBe(0);
    expect(pv.stdout + pv.stderr).toContain(`prometheus, version ${debianVersionOf('prometheus') ?? '?'}`);
    const check = await run(join(prom, 'promtool'), ['check', 'config', join(prom, 'prometheus.yml')]);
    expect(check.code, check.stdout + check.stderr).toBe(0);

    const node = await extract(artifact('node_exporter', '1.5.0'));
    const nv = await run(join(node, 'node_exporter'), ['--version']);
    expect(nv.code, nv.stderr).toBe(0);
    expect(nv.stdout + nv.stderr).toContain('node_exporter, version');

    const am = await extract(artifact('alertmanager', '0.25.0'));
    const av = await run(join(am, 'alertmanager'), ['--version']);
    expect(av.code, av.stderr).toBe(0);
    const amCheck = await run(join(am, 'amtool'), ['check-config', join(am, 'alertmanager.yml')]);
    expect(amCheck.code, amCheck.stdout + amCheck.stderr).toBe(0);

    // Same Debian binary behind another version label.
    const node151 = await extract(artifact('node_exporter', '1.5.1'));
    expect((await run(join(node151, 'node_exporter'), ['--version'])).code).toBe(0);
  });

  it('makes the broken build exit non-zero at once, keeping promtool real', async () => {
    const dir = await extract(artifact('prometheus', '2.99.0'));
    const t0 = Date.now();
    const r = await run(join(dir, 'prometheus'), ['--config.file', join(dir, 'prometheus.yml')]);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('broken');
    const v = await run(join(dir, 'promtool'), ['--version']);
    expect(v.code, v.stderr).toBe(0);
  });

  it('answers 404 for missing or hidden paths and logs every request', async () => {
    const mm = m();
    const missingPath = '/prometheus/releases/download/v9.9.9/prometheus-9.9.9.linux-amd64.tar.gz';
    expect((await fetch(`${mm.baseUrl}${missingPath}`)).status).toBe(404);
    expect((await fetch(`${mm.baseUrl}/prometheus/releases/download/v2.42.0/`)).status).toBe(404);
    expect((await fetch(`${mm.baseUrl}/`)).status).toBe(404);
    expect(await rawGet(mm.baseUrl, '/../../../etc/passwd')).toBe(404);
    expect(await rawGet(mm.baseUrl, '/%2e%2e/%2e%2e/etc/passwd')).toBe(404);
    expect(mm.requests).toContain(missingPath);
    expect(mm.requestLog.find((r) => r.path === missingPath)).toEqual({ method: 'GET', path: missingPath, status: 404 });
    const head = await fetch(artifact('prometheus', '2.42.0').url, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  const optional = (['pushgateway', 'blackbox_exporter'] as const).filter((c) => debianVersionOf(c) !== null);
  it.skipIf(optional.length === 0)(`builds the optional components when installed (${optional.join(', ') || 'none installed'})`, async () => {
    const extra = await startMirror(optional.map((component) => ({ component, version: debianVersionOf(component) ?? '0.0.0' })));
    try {
      for (const a of extra.artifacts) {
        const body = Buffer.from(await (await fetch(a.url)).arrayBuffer());
        expect(sha256(body)).toBe(a.sha256);
        const path = join(work, a.file);
        await writeFile(path, body);
        downloaded.set(a.file, path);
        const dir = await extract(a);
        const v = await run(join(dir, a.component), ['--version']);
        expect(v.code, v.stderr).toBe(0);
        expect(v.stdout + v.stderr).toContain(`${a.component}, version`);
        if (a.component === 'blackbox_exporter') {
          const check = await run(join(dir, 'blackbox_exporter'), ['--config.check', `--config.file=${join(dir, 'blackbox.yml')}`]);
          expect(check.code, check.stdout + check.stderr).toBe(0);
        }
      }
    } finally {
      await extra.close();
    }
  });

  it('reuses cached tarballs with identical checksums', async () => {
    const t0 = Date.now();
    const again = await startMirror(SPECS);
    const ms = Date.now() - t0;
    try {
      console.log(`mirror (cached): ${again.artifacts.length} artifacts in ${ms} ms`);
      expect(again.artifacts.every((a) => a.cached)).toBe(true);
      expect(again.artifacts.map((a) => a.sha256)).toEqual(m().artifacts.map((a) => a.sha256));
      expect(again.dir).not.toBe(m().dir);
      expect(ms).toBeLessThan(10_000);
    } finally {
      await again.close();
    }
  });
});
