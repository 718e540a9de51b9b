// Health checks from inside the host: a component counts as up only when its endpoint answers 200.
import http from 'node:http';

export function httpRequest(url: string, method: 'GET' | 'POST' = 'GET', timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 65536) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function healthy(url: string): Promise<boolean> {
  try {
    return (await httpRequest(url)).status === 200;
  } catch {
    return false;
  }
}

/** Polls until the endpoint answers 200 or the deadline passes; `stillAlive` stops early if the process died. */
export async function waitHealthy(url: string, timeoutS: number, stillAlive: () => boolean): Promise<{ ok: boolean; reason: string }> {
  const deadline = Date.now() + timeoutS * 1000;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const res = await httpRequest(url, 'GET', 1500);
      if (res.status === 200) return { ok: true, reason: 'ready' };
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (!stillAlive()) return { ok: false, reason: `the process exited before ${url} answered` };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ok: false, reason: `${url} did not answer 200 within ${timeoutS} s (${last})` };
}
