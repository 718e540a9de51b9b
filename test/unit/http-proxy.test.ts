import { describe, expect, it } from 'vitest';
import { proxyFor } from '../../src/components/http-proxy.js';

describe('which downloads go through http_proxy', () => {
  const env = { http_proxy: 'http://proxy.corp:3128', https_proxy: 'http://proxy.corp:3129' };
  it('uses the proxy of the scheme', () => {
    expect(proxyFor('http://mirror.example.com/p.tar.gz', env)).toBe('http://proxy.corp:3128');
    expect(proxyFor('https://github.com/prometheus/x', env)).toBe('http://proxy.corp:3129');
    expect(proxyFor('https://github.com/x', { HTTPS_PROXY: 'http://p:1' })).toBe('http://p:1');
    expect(proxyFor('https://github.com/x', {})).toBeNull();
  });
  it('never sends loopback to a proxy', () => {
    for (const url of ['http://127.0.0.1:8080/x', 'http://127.0.16.5:9/x', 'http://localhost/x', 'http://[::1]:80/x', 'http://a.localhost/x']) expect(proxyFor(url, env)).toBeNull();
  });
  it('honours NO_PROXY like curl: *, hosts, domains, ports', () => {
    expect(proxyFor('http://mirror.local/x', { ...env, NO_PROXY: 'mirror.local' })).toBeNull();
    expect(proxyFor('http://a.corp.example/x', { ...env, no_proxy: '.corp.example' })).toBeNull();
    expect(proxyFor('http://corp.example/x', { ...env, no_proxy: 'corp.example' })).toBeNull();
    expect(proxyFor('http://notcorp.example/x', { ...env, no_proxy: 'corp.example' })).toBe('http://proxy.corp:3128');
    expect(proxyFor('http://m.local:8080/x', { ...env, no_proxy: 'm.local:9090' })).toBe('http://proxy.corp:3128');
    expect(proxyFor('http://m.local:9090/x', { ...env, no_proxy: 'm.local:9090' })).toBeNull();
    expect(proxyFor('https://github.com/x', { ...env, no_proxy: '*' })).toBeNull();
  });
});
