// The demo's readiness check: exit 0 only when the URL answers 2xx within 10 s (direct, never via a proxy:
/* global AbortSignal */
// Node's fetch does not read http_proxy). Prints the answer, or why not.
const url = process.argv[2];
if (!url) {
  console.error('usage: node scripts/demo-ready.mjs <url>');
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  process.stdout.write(`${(await res.text()).trim()}\n`);
  if (!res.ok) {
    console.error(`${url} answered HTTP ${res.status}`);
    process.exit(1);
  }
} catch (err) {
  console.error(`${url}: ${err.cause?.message ?? err.message}`);
  process.exit(1);
}
