// Roles through the real CLI. Identity is the OS user; as root, SUDO_USER names the person who ran sudo,
// which is how these tests act as different people. One test uses a real non-root account.
import { describe, expect, it, beforeAll } from 'vitest';
import { runCli, runOk, tempHome } from '../helpers/cli.js';

const as = (user: string) => ({ SUDO_USER: user });

describe('roles', () => {
  let home: string;
  beforeAll(async () => {
    home = tempHome();
    await runOk(['init'], { home, env: as('root-admin') });
    await runOk(['cluster', 'add', 'prod'], { home, env: as('root-admin') });
    await runOk(['cluster', 'add', 'dev'], { home, env: as('root-admin') });
    await runOk(['host', 'add', '10.4.0.1', '-c', 'prod', '--name', 'p1'], { home, env: as('root-admin') });
    await runOk(['host', 'add', '10.4.1.1', '-c', 'dev', '--name', 'd1'], { home, env: as('root-admin') });
    await runOk(['user', 'add', 'alice', '--phone', '+86 10 5555 0101'], { home, env: as('root-admin') });
    await runOk(['user', 'add', 'bob'], { home, env: as('root-admin') });
    await runOk(['role', 'grant', 'alice', 'bizadmin', '--cluster', 'dev'], { home, env: as('root-admin') });
    await runOk(['role', 'grant', 'bob', 'user', '--cluster', 'dev'], { home, env: as('root-admin') });
  });

  it('makes the first identity a sysadmin', async () => {
    const me = JSON.parse((await runOk(['whoami', '--json'], { home, env: as('root-admin') })).stdout) as { roles: string[] };
    expect(me.roles).toEqual(['sysadmin@*']);
  });

  it('lets a bizadmin operate in their cluster only, with a denial naming the role', async () => {
    await runOk(['host', 'add', '10.4.1.2', '-c', 'dev', '--name', 'd2'], { home, env: as('alice') });
    await runOk(['host', 'label', 'd2', 'tier=web'], { home, env: as('alice') });
    const denied = await runCli(['host', 'add', '10.4.0.2', '-c', 'prod'], { home, env: as('alice') });
    expect(denied.code).toBe(3);
    expect(denied.stderr).toContain("needs the bizadmin role in cluster 'prod'");
    expect(denied.stderr).toContain('role grant alice bizadmin --cluster prod');
    const clusterAdd = await runCli(['cluster', 'add', 'mine'], { home, env: as('alice') });
    expect(clusterAdd.code).toBe(3);
    expect(clusterAdd.stderr).toContain('sysadmin');
  });

  it('gives a normal user read-only access to their clusters', async () => {
    const hosts = JSON.parse((await runOk(['host', 'list', '--json'], { home, env: as('bob') })).stdout) as Array<{ name: string }>;
    expect(hosts.map((h) => h.name).sort()).toEqual(['d1', 'd2']);
    expect((await runCli(['host', 'show', 'p1'], { home, env: as('bob') })).code).toBe(3);
    const label = await runCli(['host', 'label', 'd1', 'x=y'], { home, env: as('bob') });
    expect(label.code).toBe(3);
    expect(label.stderr).toContain("needs the bizadmin role in cluster 'dev'");
    expect((await runCli(['user', 'add', 'eve'], { home, env: as('bob') })).code).toBe(3);
  });

  it('refuses strangers and honours --as only for sysadmins, auditing both', async () => {
    const stranger = await runCli(['host', 'list'], { home, env: as('mallory') });
    expect(stranger.code).toBe(3);
    expect(stranger.stderr).toContain("'mallory') are not a promanager user");
    const asByBob = await runCli(['--as', 'alice', 'host', 'list'], { home, env: as('bob') });
    expect(asByBob.code).toBe(3);
    const asByAdmin = await runCli(['host', 'add', '10.4.0.3', '-c', 'prod', '--as', 'alice'], { home, env: as('root-admin') });
    expect(asByAdmin.code).toBe(3);
    const audit = JSON.parse((await runOk(['audit', '--json'], { home, env: as('root-admin') })).stdout) as Array<Record<string, unknown>>;
    const last = audit[audit.length - 1]!;
    expect(last).toMatchObject({ who: 'root-admin', as: 'alice', command: 'host add', result: 'denied', exit_code: 3 });
    expect(audit.some((r) => r.who === 'alice' && r.result === 'denied')).toBe(true);
  });

  it('shows a user only the audit records of their clusters and their own', async () => {
    const records = JSON.parse((await runOk(['audit', '--json'], { home, env: as('bob') })).stdout) as Array<{ clusters: string[]; who: string }>;
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) expect(r.who === 'bob' || r.clusters.includes('dev')).toBe(true);
  });

  it('keeps bindings unique and the last sysadmin in place', async () => {
    const dup = await runCli(['role', 'grant', 'alice', 'bizadmin', '--cluster', 'dev'], { home, env: as('root-admin') });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already has bizadmin');
    const phone = await runCli(['user', 'add', 'carol', '--phone', '+86 10 5555 0101'], { home, env: as('root-admin') });
    expect(phone.code).toBe(1);
    expect(phone.stderr).toContain("already belongs to user 'alice'");
    const last = await runCli(['role', 'revoke', 'root-admin', 'sysadmin'], { home, env: as('root-admin') });
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('last sysadmin');
    expect((await runCli(['role', 'grant', 'bob', 'overlord'], { home, env: as('root-admin') })).code).toBe(2);
    const roles = (await runOk(['role', 'list'], { home, env: as('root-admin') })).stdout;
    expect(roles).toContain('alice\tbizadmin\tdev');
  });

  it('takes the identity from the real operating-system user', async () => {
    const h = tempHome();
    const { chmodSync } = await import('node:fs');
    chmodSync(h, 0o777);
    await runOk(['cluster', 'add', 'x'], { home: h, runAs: 'nobody' });
    const me = JSON.parse((await runOk(['whoami', '--json'], { home: h, runAs: 'nobody' })).stdout) as { user_name: string; roles: string[] };
    expect(me).toMatchObject({ user_name: 'nobody', roles: ['sysadmin@*'] });
  });
});
