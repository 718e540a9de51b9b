// Downloads go through the proxy the environment names (http_proxy / https_proxy, as curl and apt read them),
// except for NO_PROXY's hosts and always for loopback: a mirror on this machine, or a test host on 127.x, must
// never be sent to a proxy that cannot reach it (a site proxy does not know this machine's 127.0.0.1).
import { ProxyAgent, type Dispatcher } from 'undici';

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** NO_PROXY rules as curl reads them: `*`, a host, `.example.com` or `example.com` (the domain and below), host:port. */
function inNoProxy(url: URL, list: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return list.split(/[,\s]+/).filter(Boolean).some((raw) => {
    const entry = raw.toLowerCase();
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry)!;
    const name = m[1]!.replace(/^\*?\./, '').replace(/^\[|\]$/g, '');
    if (m[2] && m[2] !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
}

/** The proxy URL to use for `url`, or null to connect directly. Pure: takes the environment. */
export function proxyFor(url: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const u = new URL(url);
  if (isLoopback(u.hostname)) return null;
  if (inNoProxy(u, env.no_proxy ?? env.NO_PROXY ?? '')) return null;
  const proxy = u.protocol === 'https:' ? env.https_proxy ?? env.HTTPS_PROXY : env.http_proxy ?? env.HTTP_PROXY;
  return proxy ? proxy : null;
}

const agents = new Map<string, Dispatcher>();

/** The dispatcher for `url`: a proxy agent when a proxy applies, else undefined (direct). */
export function dispatcherFor(url: string, env: NodeJS.ProcessEnv = process.env): Dispatcher | undefined {
  const proxy = proxyFor(url, env);
  if (!proxy) return undefined;
  let agent = agents.get(proxy);
  if (!agent) {
    agent = new ProxyAgent(proxy);
    agents.set(proxy, agent);
  }
  return agent;
}
