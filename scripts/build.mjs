// Bundles the CLI (code-split so each command loads only what it needs) and the host agent (one file,
// Node built-ins only, so it can be pushed to a host and run there with nothing installed).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

if (existsSync('src/agent/main.ts')) {
await build({
  entryPoints: { agent: 'src/agent/main.ts' },
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  legalComments: 'none',
  logLevel: 'warning',
});
const agent = readFileSync('dist/agent.cjs');
const agentHash = createHash('sha256').update(agent).digest('hex');
writeFileSync('dist/agent.json', JSON.stringify({ sha256: agentHash, bytes: agent.length }) + '\n');
}

await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outdir: 'dist',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
  // `promanager --version` answers from the bundle itself: no package.json read at start-up.
  define: { __PROMANAGER_VERSION__: JSON.stringify(version) },
});
