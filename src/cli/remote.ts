// exec and doctor: the commands of the remote engine itself.
import type { Command } from 'commander';
import { action, type CliEnv } from './run.js';
import { FanoutPrinter, withHint } from './fanout-output.js';
import { addTargetOptions, targetOptions } from './targets.js';
import type { ExecHostResult } from '../app/exec.js';
import type { DoctorCheck } from '../app/doctor.js';
import { lineStreamer } from './line-stream.js';

export function registerRemote(program: Command, env: CliEnv): void {
  addTargetOptions(program.command('exec').description('run an ad-hoc command on hosts (one argument: a shell line; several: quoted and joined)'))
    .argument('[command...]', 'the command, after --')
    .addHelpText('after', "\nExamples:\n  promanager exec -l role=prometheus -- 'df -h / | tail -1'\n  promanager exec --hosts 'node-*' -- systemctl is-active node_exporter\n  promanager exec --limit @failed -- uptime")
    .action(action(env, async (ctx, command: string[], opts: Record<string, unknown>) => {
      const { execOnHosts } = await import('../app/exec.js');
      const printer = new FanoutPrinter<ExecHostResult>(ctx, {
        json: (r) => (r ? { exit_code: r.exit_code, signal: r.signal, stdout: r.stdout, stderr: r.stderr } : { exit_code: null, signal: null, stdout: '', stderr: '' }),
        text: (r) => (r ? `exit ${r.exit_code ?? r.signal}` : ''),
        changed: () => true,
      }, { statusToStderr: true });
      await printer.start(0);
      printer.judgeFailure = (o) => withHint(o) ?? (o.result && o.result.exit_code !== 0 ? (o.result.signal ? `killed by signal ${o.result.signal}` : `exit code ${o.result.exit_code}`) : null);
      const streamer = lineStreamer(ctx, printer);
      const run = await execOnHosts(ctx, targetOptions(opts), command, {
        onOutput: streamer.onOutput,
        onEvent: (event, host) => {
          if (event.type === 'done') streamer.flush(host);
          printer.onEvent(event, host);
        },
      }).catch((err: unknown) => {
        throw err;
      });
      await printer.finish(run);
      return run.exitCode;
    }));

  addTargetOptions(program.command('doctor').description('check reachability, host keys, auth, sudo, Node runtime, disk and clock on hosts'))
    .addHelpText('after', '\nExamples:\n  promanager doctor\n  promanager doctor -c prod-bj --json')
    .action(action(env, async (ctx, opts: Record<string, unknown>) => {
      const { doctor } = await import('../app/doctor.js');
      type Checks = DoctorCheck[];
      const printer = new FanoutPrinter<Checks>(ctx, {
        json: (checks) => ({ checks: checks ?? [] }),
        text: (checks) => (checks ?? []).map((c) => `${c.check}:${c.ok === null ? 'skip' : c.ok ? 'ok' : 'FAIL'}`).join(' '),
      });
      printer.judgeFailure = (o) => withHint(o) ?? ((o.result ?? []).filter((c) => c.ok === false).map((c) => `${c.check}: ${c.detail}`).join('; ') || null);
      await printer.start(0);
      const run = await doctor(ctx, targetOptions(opts), printer.onEvent);
      await printer.finish(run);
      return run.exitCode;
    }));
}
