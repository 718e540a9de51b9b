// The remote engine against real OpenSSH hosts (each in its own namespaces), through the real CLI.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runOk, tempHome, binPath } from '../helpers/cli.js';
import { startFleet, startHangListener, testHostsUnavailableReason, type TestFleet, testIp } from '../fixtures/testhosts.js';

const skip = testHostsUnavailableReason();
/** Live (not zombie) processes of the test commands below: `sleep 300`, `sleep 301`, `sleep 120`. */
const leftoverSleeps = "ps -eo stat=,args= | awk '$1 !~ /Z/ && $2 == \"sleep\" && $3 ~ /^(300|301|120)$/' || true";

describe.skipIf(skip !== undefined)(`remote engine on real SSH hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fleet: TestFleet;
  let home: string;
  let hang: { close(): Promise<void> };
  let env: Record<string, string>;
  const ip = (name: string) => fleet.hosts.find((h) => h.name === name)!.ip;

  beforeAll(async () => {
    fleet = await startFleet([
      { name: 'r1' },
      { name: 'r2' },
      { name: 'r3nonode', noNode: true },
      { name: 'r4ops', user: 'ops', sudo: 'nopasswd' },
      { name: 'r5pw', user: 'pw', sudo: { password: 'secret' } },
    ], { firstIp: 20 });
    hang = await startHangListener(testIp(98));
    home = tempHome();
    const inv = path.join(home, 'fleet.yml');
    writeFileSync(inv, [
      'defaults:',
      `  ssh: { user: root, key: ${fleet.keyFile} }`,
      'clusters:',
      '  lab:',
      '    labels: { env: lab }',
      '    hosts:',
      `      - { name: r1, ip: ${ip('r1')}, labels: { role: prometheus } }`,
      `      - { name: r2, ip: ${ip('r2')}, labels: { role: node } }`,
      `      - { name: r3nonode, ip: ${ip('r3nonode')}, labels: { role: node } }`,
      `      - { name: r4ops, ip: ${ip('r4ops')}, ssh: { user: ops, become: true } }`,
      `      - { name: r5pw, ip: ${ip('r5pw')}, ssh: { user: pw, become: true } }`,
      `      - { name: down, ip: ${testIp(99)} }`,
      `      - { name: hang, ip: ${testIp(98)} }`,
      '',
    ].join('\n'));
    env = { PROMANAGER_KNOWN_HOSTS: fleet.knownHostsFile };
    await runOk(['inventory', 'import', inv], { home, env });
  }, 120_000);

  afterAll(async () => {
    await hang?.close();
    await fleet?.stop();
  });

  it('runs a command on each host over one connection each, with per-host output', async () => {
    const r = await runOk(['exec', '--hosts', 'r1,r2', '--', 'hostname'], { home, env });
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['r1\tr1', 'r2\tr2']);
    const json = await runOk(['exec', '--json', '--hosts', 'r1,r2', '--', 'echo', 'it works', '$HOME'], { home, env });
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const hosts = lines.filter((l) => l.type === 'host');
    expect(hosts).toHaveLength(2);
    for (const h of hosts) expect(h).toMatchObject({ ok: true, changed: true, error: null, exit_code: 0, stdout: 'it works $HOME\n' });
    expect(lines[lines.length - 1]).toMatchObject({ type: 'summary', hosts: 2, ok: 2, failed: 0, exit_code: 0 });
  });

  it('keeps the exit status and output of a command that ends at once, even read in one chunk with the channel opening', async () => {
    // A proxy in front of r1 passes on what sshd sends in batches, as a busy controller would read it: the
    // reply that opens the channel, the output, the exit status and the close then arrive in one read.
    const proxy = net.createServer((down) => {
      const up = net.connect(22, ip('r1'));
      let held: Buffer[] = [];
      let timer: NodeJS.Timeout | null = null;
      down.pipe(up);
      up.on('data', (d: Buffer) => {
        held.push(d);
        timer ??= setTimeout(() => {
          down.write(Buffer.concat(held));
          held = [];
          timer = null;
        }, 20);
      });
      const end = () => {
        down.destroy();
        up.destroy();
      };
      up.on('close', end).on('error', end);
      down.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const viaHome = tempHome();
      const r1Key = readFileSync(fleet.knownHostsFile, 'utf8').split('\n').find((l) => l.startsWith(`${ip('r1')} `))!.split(' ').slice(1).join(' ');
      const knownHosts = path.join(viaHome, 'known_hosts');
      writeFileSync(knownHosts, `[127.0.0.1]:${port} ${r1Key}\n`);
      const inv = path.join(viaHome, 'fleet.yml');
      writeFileSync(inv, `clusters:\n  lab:\n    hosts:\n      - { name: via, ip: 127.0.0.1, ssh: { user: root, port: ${port}, key: ${fleet.keyFile} } }\n`);
      const viaEnv = { PROMANAGER_KNOWN_HOSTS: knownHosts };
      await runOk(['inventory', 'import', inv], { home: viaHome, env: viaEnv });
      for (let i = 0; i < 5; i++) {
        const r = await runCli(['exec', '--json', '--timeout', '15', '--', 'printf x; exit 7'], { home: viaHome, env: viaEnv });
        const host = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.type === 'host');
        expect(host).toMatchObject({ ok: false, exit_code: 7, stdout: 'x', error: 'exit code 7' });
      }
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('reports partial failure with exit 4 and re-runs only the failed hosts with --limit @failed', async () => {
    const r = await runCli(['exec', '-l', 'role', '--', 'test "$(hostname)" != r2'], { home, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/r2\tfailed\tunchanged\texit code 1/);
    const again = await runCli(['exec', '--json', '--limit', '@failed', '--', 'hostname'], { home, env });
    expect(again.code).toBe(0);
    const hosts = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; host?: string }).filter((l) => l.type === 'host');
    expect(hosts.map((h) => h.host)).toEqual(['r2']);
  });

  it('gathers facts with the agent, uploading the agent once and a runtime where Node.js is missing', async () => {
    const r = await runOk(['host', 'refresh', '--json', '-l', 'env=lab,role'], { home, env });
    // NDJSON lines come in the order hosts finish
    const hosts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.type === 'host').sort((a, b) => String(a.host).localeCompare(String(b.host)));
    expect(hosts.map((h) => [h.host, h.ok, h.hostname])).toEqual([['r1', true, 'r1'], ['r2', true, 'r2'], ['r3nonode', true, 'r3nonode']]);
    const stored = JSON.parse((await runOk(['host', 'show', 'r3nonode', '--json'], { home, env })).stdout) as Record<string, unknown>;
    expect(stored).toMatchObject({ hostname: 'r3nonode', status: 'up', os: expect.stringContaining('Debian') });
    expect(stored.cpu).toBeGreaterThan(0);
    expect(String(stored.mem)).toMatch(/^\d+\.\d%$/);
    const noNodeRoot = fleet.hosts.find((h) => h.name === 'r3nonode')!.root;
    const runtimeDir = path.join(noNodeRoot, 'var/lib/promanager/runtime');
    expect(existsSync(runtimeDir)).toBe(true);
    expect((await fleet.exec('r3nonode', 'ls /var/lib/promanager/runtime')).stdout).toMatch(/^node-v\d+/);
    const agentDir = path.join(fleet.hosts.find((h) => h.name === 'r1')!.root, 'var/lib/promanager/agent');
    expect(statSync(agentDir).mode & 0o777).toBe(0o700);
    const before = (await fleet.exec('r1', 'stat -c %Y%n /var/lib/promanager/agent/*.cjs')).stdout;
    await runOk(['host', 'refresh', '--hosts', 'r1'], { home, env });
    expect((await fleet.exec('r1', 'stat -c %Y%n /var/lib/promanager/agent/*.cjs')).stdout).toBe(before);
    // nothing of ours keeps running between commands (the agent exits within moments of the session's end)
    let leftover = 'not checked';
    for (let i = 0; i < 30 && leftover !== ''; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      leftover = (await fleet.exec('r1', "pgrep -f '[p]romanager/agent' || true")).stdout.trim();
    }
    expect(leftover).toBe('');
  });

  it('fails a refused and a hanging host within the deadline without holding up the rest', async () => {
    const started = Date.now();
    const r = await runCli(['exec', '--timeout', '4', '--hosts', 'r1,down,hang', '--', 'true'], { home, env });
    expect(r.code).toBe(4);
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(r.stderr).toMatch(/down\tfailed\tunchanged\t.*refused the connection/);
    expect(r.stderr).toMatch(/hang\tfailed\tunchanged\t.*(handshake|deadline)/);
    expect(r.stderr).toContain('r1\tok');
    const refresh = await runCli(['host', 'refresh', '--timeout', '3', '--hosts', 'down'], { home, env });
    expect(refresh.code).toBe(1);
    const down = JSON.parse((await runOk(['host', 'show', 'down', '--json'], { home, env })).stdout) as { status: string };
    expect(down.status).toBe('unreachable');
  });

  it('ends the remote process group at the deadline, leaving nothing behind', async () => {
    const r = await runCli(['exec', '--timeout', '2', '--hosts', 'r2', '--', 'sleep 300 & sleep 301; wait'], { home, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('deadline');
    await new Promise((res) => setTimeout(res, 1500));
    expect((await fleet.exec('r2', leftoverSleeps)).stdout.trim()).toBe('');
  });

  it('becomes root through passwordless sudo, and explains a sudo that needs a password without a terminal', async () => {
    const ok = await runOk(['exec', '--hosts', 'r4ops', '--', 'id -u; whoami'], { home, env });
    expect(ok.stdout).toBe('r4ops\t0\nr4ops\troot\n');
    const pw = await runCli(['exec', '--hosts', 'r5pw', '--', 'id -u'], { home, env });
    expect(pw.code).toBe(1);
    expect(pw.stderr).toContain('needs a password for pw and there is no terminal');
    expect(pw.stderr).not.toContain('secret');
  });

  it('asks the sudo password once on a terminal and never writes it down', async () => {
    // `script` gives the CLI a real terminal; the password is typed at the prompt.
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', `stty cols 120 rows 40; ${process.execPath} ${binPath} exec --hosts r5pw -- id -u`, '/dev/null'], {
        env: { ...process.env, PROMANAGER_HOME: home, NO_COLOR: '1', ...env },
      });
      let out = '';
      let sent = false;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (!sent && /sudo password/.test(out)) {
          sent = true;
          child.stdin.write('secret\r');
        }
      });
      child.on('close', (code) => resolve({ code: code ?? -1, out }));
    });
    expect(r.out).toMatch(/r5pw \| 0/);
    expect(r.code).toBe(0);
    const audit = (await runOk(['audit', '--json'], { home, env })).stdout;
    expect(audit).not.toContain('secret');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(home, 'db.json'), 'utf8')).not.toContain('secret');
  });

  it('refuses unknown host keys with the fingerprint, pins them on request, and always refuses a changed key', async () => {
    const strict = { PROMANAGER_KNOWN_HOSTS: path.join(home, 'empty_known_hosts') };
    const unknown = await runCli(['exec', '--hosts', 'r1', '--', 'true'], { home, env: strict });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown host key for r1 .*SHA256:[A-Za-z0-9+/]{43}/);
    expect(unknown.stderr).toContain('--accept-new-host-keys');
    await runOk(['exec', '--hosts', 'r1', '--accept-new-host-keys', '--', 'true'], { home, env: strict });
    await runOk(['exec', '--hosts', 'r1', '--', 'true'], { home, env: strict }); // now pinned
    const audit = JSON.parse((await runOk(['audit', '--json'], { home, env })).stdout) as Array<{ message: string | null }>;
    expect(audit.some((a) => a.message?.includes('pinned host keys'))).toBe(true);
    await fleet.rekey('r1');
    for (const e of [strict, env]) {
      const changed = await runCli(['exec', '--hosts', 'r1', '--accept-new-host-keys', '--', 'true'], { home, env: e });
      expect(changed.code).toBe(1);
      expect(changed.stderr).toContain('HOST KEY CHANGED for r1');
      expect(changed.stderr.match(/SHA256:/g)?.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('doctor reports every check per host', async () => {
    const r = await runCli(['doctor', '--json', '--hosts', 'r2,r3nonode,r4ops,down', '--timeout', '5'], { home, env });
    expect(r.code).toBe(4);
    const hosts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; host: string; ok: boolean; checks: Array<{ check: string; ok: boolean | null }> }).filter((l) => l.type === 'host');
    const byHost = Object.fromEntries(hosts.map((h) => [h.host, h]));
    expect(byHost.r2!.ok).toBe(true);
    expect(byHost.r2!.checks.map((c) => c.check)).toEqual(['reachable', 'host_key', 'auth', 'sudo', 'runtime', 'disk', 'clock']);
    expect(byHost.r4ops!.checks.find((c) => c.check === 'sudo')!.ok).toBe(true);
    expect(byHost.r3nonode!.ok).toBe(true);
    expect(byHost.down!.ok).toBe(false);
  });

  it('stops cleanly on Ctrl-C: remote processes ended and the interruption audited', async () => {
    const child = spawn(process.execPath, [binPath, 'exec', '--hosts', 'r2', '--', 'sleep 120'], { env: { ...process.env, PROMANAGER_HOME: home, ...env } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise((res) => setTimeout(res, 2000));
    child.kill('SIGINT');
    const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? -1)));
    expect(code, err).toBe(130);
    await new Promise((res) => setTimeout(res, 1000));
    expect((await fleet.exec('r2', leftoverSleeps)).stdout.trim()).toBe('');
    const audit = JSON.parse((await runOk(['audit', '--json'], { home, env })).stdout) as Array<{ result: string; command: string }>;
    expect(audit[audit.length - 1]).toMatchObject({ command: 'exec', result: 'interrupted' });
  });
});
