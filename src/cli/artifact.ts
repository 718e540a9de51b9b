import type { Command } from 'commander';
import { humanBytes } from './human.js';
import { action, type CliEnv } from './run.js';
import { printRecord, printTable, say } from './output.js';

export function registerArtifact(program: Command, env: CliEnv): void {
  const artifact = program.command('artifact').description('the cache of verified release tarballs on this controller');
  artifact.command('fetch <component> <version>').description('download a release and verify it against its sha256sums.txt (once for the whole fleet)')
    .option('--arch <arch>', 'release architecture (amd64, arm64, armv7 ...); default: this machine\'s')
    .option('--mirror <url>', 'base URL laid out like the official releases (default https://github.com/prometheus)')
    .addHelpText('after', '\nExamples:\n  promanager artifact fetch prometheus 2.53.1\n  promanager artifact fetch node_exporter 1.8.2 --mirror http://mirror.local/prometheus')
    .action(action(env, async (ctx, component: string, version: string, opts: { arch?: string; mirror?: string }) => {
      const { fetchArtifactCmd } = await import('../app/artifacts.js');
      let last = -1;
      const a = await fetchArtifactCmd(ctx, component, version, {
        ...opts,
        onProgress: ctx.io.stderrIsTTY && !ctx.globals.json ? (got, total) => {
          const pct = total ? Math.floor((got / total) * 100) : -1;
          if (pct === last) return;
          last = pct;
          ctx.io.err(`\r${component} ${version}: ${(got / 1048576).toFixed(1)} MiB${total ? ` ${pct}%` : ''}   `);
        } : undefined,
      });
      if (last !== -1) ctx.io.err('\n');
      if (ctx.globals.json) printRecord(ctx, { ...a });
      else await say(ctx, `${a.file} ${a.downloaded ? 'downloaded and verified' : 'already in the cache'} (sha256 ${a.sha256})`);
    }));
  artifact.command('import <source>').description('offline import: a release tarball, a Debian package name, or a .deb file')
    .option('--component <name>', 'the component (when the file name does not say)')
    .option('--version <version>', 'the version (when the file name does not say)')
    .option('--arch <arch>', 'release architecture of a tarball (default amd64)')
    .option('--sha256 <sum>', 'expected sha256 of a tarball; without it the sum is computed and shown')
    .addHelpText('after', '\nExamples:\n  promanager artifact import ./prometheus-2.53.1.linux-amd64.tar.gz --sha256 5f1c...\n  promanager artifact import prometheus-node-exporter        # apt-get download + repack\n  promanager artifact import ./prometheus_2.42.0+ds-5_amd64.deb')
    .action(action(env, async (ctx, source: string, opts: { component?: string; version?: string; arch?: string; sha256?: string }) => {
      const { importArtifactCmd } = await import('../app/artifacts.js');
      const a = await importArtifactCmd(ctx, source, opts);
      if (ctx.globals.json) printRecord(ctx, { ...a });
      else await say(ctx, `${a.file} imported${a.from ? ` from the ${a.from}, repacked reproducibly` : ''} (sha256 ${a.sha256}${opts.sha256 ? ', as expected' : a.from ? '' : ', computed: compare it with the publisher\'s'})`);
    }));
  artifact.command('list').description('cached artifacts with their checksums')
    .addHelpText('after', '\nExample:\n  promanager artifact list')
    .action(action(env, async (ctx) => {
      const { listArtifacts } = await import('../app/artifacts.js');
      const rows = await listArtifacts(ctx);
      await printTable(ctx, rows, [
        { header: 'COMPONENT', value: (r) => r.component },
        { header: 'VERSION', value: (r) => r.version },
        { header: 'ARCH', value: (r) => r.arch },
        { header: 'SIZE', value: (r) => r.bytes, tty: (r) => humanBytes(r.bytes) },
        { header: 'SHA256', value: (r) => r.sha256 },
        { header: 'SOURCE', value: (r) => r.source },
      ], () => rows.map(({ path: _p, ...r }) => r));
    }));
}
