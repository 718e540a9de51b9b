// The agent's push on this machine against a stand-in Prometheus whose reload fails: the part of a push that
// real Prometheus rarely lets a test reach once promtool has passed. The files must come back as they were.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configHandlers } from '../../src/agent/config.js';
import type { ServiceSpec } from '../../src/agent/service-spec.js';

const ctx = { emit: () => undefined };

describe('agent config_push', () => {
  let server: Server;
  let reloadAnswer = 500;
  let reloads = 0;
  let lastConfigTime = new Date(Date.now() - 5000).toISOString();
  let configDir: string;

  beforeAll(async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pm-agent-config-'));
    vi.spyOn(process as { getuid: () => number }, 'getuid').mockReturnValue(1000); // the agent's non-root layout, under $HOME
    vi.stubEnv('HOME', home);
    server = createServer((req, res) => {
      if (req.url === '/-/reload') {
        reloads++;
        if (reloadAnswer === 200) lastConfigTime = new Date().toISOString();
        res.writeHead(reloadAnswer).end(reloadAnswer === 200 ? '' : 'failed to reload config: error loading rules: open rules/a.yml: permission denied\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { reloadConfigSuccess: true, lastConfigTime } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const base = path.join(home, 'opt', 'prometheus');
    mkdirSync(path.join(base, 'current'), { recursive: true });
    writeFileSync(path.join(base, 'current', 'promtool'), '#!/bin/sh\necho "SUCCESS: $*"\n');
    chmodSync(path.join(base, 'current', 'promtool'), 0o755);
    configDir = path.join(home, 'etc', 'prometheus');
    mkdirSync(path.join(configDir, 'rules'), { recursive: true });
    const runDir = path.join(home, '.local/share/promanager/var/lib/promanager/services/prometheus');
    mkdirSync(runDir, { recursive: true });
    const spec: Partial<ServiceSpec> = { component: 'prometheus', base_dir: base, config_dir: configDir, health_url: `http://127.0.0.1:${port}/-/ready`, reload: 'http', reload_url: `http://127.0.0.1:${port}/-/reload` };
    writeFileSync(path.join(runDir, 'spec.json'), JSON.stringify(spec));
  });

  afterAll(() => {
    server?.close();
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  const push = (files: Array<{ path: string; content: string }>) => Promise.resolve(configHandlers.config_push!({ component: 'prometheus', files }, ctx));

  it('puts every file back and reloads the old config when the reload fails', async () => {
    reloadAnswer = 200;
    await push([{ path: 'prometheus.yml', content: 'old\n' }, { path: 'rules/old.yml', content: 'old rule\n' }]);
    writeFileSync(path.join(configDir, 'rules', 'mine.yml'), 'not managed\n');
    reloadAnswer = 500;
    reloads = 0;
    await expect(push([{ path: 'prometheus.yml', content: 'new\n' }, { path: 'rules/a.yml', content: 'new rule\n' }])).rejects.toThrow(/previous config was restored \(reloading the previous config answered HTTP 500\):\nPOST .*answered HTTP 500: failed to reload config: error loading rules/);
    expect(reloads).toBe(2);
    expect(readFileSync(path.join(configDir, 'prometheus.yml'), 'utf8')).toBe('old\n');
    expect(readFileSync(path.join(configDir, 'rules', 'old.yml'), 'utf8')).toBe('old rule\n');
    expect(existsSync(path.join(configDir, 'rules', 'a.yml'))).toBe(false);
    expect(readFileSync(path.join(configDir, 'rules', 'mine.yml'), 'utf8')).toBe('not managed\n');
    expect(JSON.parse(readFileSync(path.join(configDir, '.promanager', 'manifest.json'), 'utf8'))).toEqual({ files: ['prometheus.yml', 'rules/old.yml'] });
  });

  it('refuses a path that would leave the config directory', async () => {
    await expect(push([{ path: '../escape.yml', content: 'x' }])).rejects.toThrow(/unsafe config path/);
  });
});
