// Entry point: lift the global options, wire the nouns into commander, run, and exit with the documented code.
import { Command, CommanderError } from 'commander';
import { ExitCode, UsageError } from '../core/errors.js';
import type { Io } from '../app/context.js';
import { GLOBAL_OPTIONS, splitGlobalOptions } from './globals.js';
import { reportError, type CliEnv } from './run.js';
import { wantsColour } from './output.js';
import { registerCluster } from './cluster.js';
import { registerHost } from './host.js';
import { registerLabel } from './label.js';
import { registerComponent } from './component.js';
import { registerUser } from './user.js';
import { registerAdmin } from './admin.js';
import { registerRemote } from './remote.js';
import { registerFim } from './fim.js';
import { registerJob } from './job.js';
import { registerService } from './service.js';
import { registerArtifact } from './artifact.js';
import { registerConfig } from './config.js';
import { asksForVersion, VERSION } from './version.js';

function processIo(): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    color: wantsColour(process.stderr, process.env),
  };
}

export function buildProgram(env: CliEnv): Command {
  const program = new Command('promanager')
    .description('Manage fleets of Prometheus servers, Alertmanagers and exporters over SSH, with no agent left running.')
    .option('-V, --version', 'print the promanager version') // answered in main(): service commands take --version <v>
    .exitOverride()
    // Program-level options only before the command words: `service install --version 2.53.1` is the service's.
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => env.io.out(s), writeErr: (s) => env.io.err(s) })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false });
  // Declared for --help only: splitGlobalOptions has already taken them out of argv.
  for (const g of GLOBAL_OPTIONS) {
    const flags = `${g.short ? `-${g.short}, ` : ''}--${g.long}${g.takesValue ? ` <${g.valueName}>` : ''}`;
    program.option(flags, g.description);
  }
  program.addHelpText('after', `
Exit codes: 0 ok, 1 error, 2 usage, 3 permission denied, 4 partial failure, 5 FIM drift.
Examples:
  promanager init
  promanager inventory import inventory/example.yml
  promanager host list -l 'env=prod,zone in (a,b)'
  promanager --json host list | jq '.[].ip'`);
  registerAdmin(program, env);
  registerCluster(program, env);
  registerHost(program, env);
  registerLabel(program, env);
  registerComponent(program, env);
  registerUser(program, env);
  registerRemote(program, env);
  registerFim(program, env);
  registerJob(program, env);
  registerArtifact(program, env);
  registerService(program, env);
  registerConfig(program, env);
  program.command('completion <shell>').description('print a shell completion script: bash, zsh or fish')
    .addHelpText('after', '\nExamples:\n  source <(promanager completion bash)\n  promanager completion zsh > "${fpath[1]}/_promanager"\n  promanager completion fish > ~/.config/fish/completions/promanager.fish')
    .action(async (shell: string) => {
      const { completionScript } = await import('./completion.js');
      const { CATALOG } = await import('../components/catalog.js');
      try {
        env.io.out(completionScript(shell, program, Object.keys(CATALOG)));
      } catch (err) {
        env.exitCode = await reportError(env, err);
      }
    });
  // commander's own usage errors (missing argument, unknown option) also exit 2
  program.commands.forEach(function exitOnUsage(cmd: Command) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => env.io.out(s), writeErr: (s) => env.io.err(s) });
    cmd.commands.forEach(exitOnUsage);
  });
  return program;
}

/** The terminal or pipe went away (EPIPE, EIO): nobody is reading, so stop instead of spinning. */
function exitWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'EIO') process.exit(process.exitCode ?? 1);
    });
  }
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  exitWhenOutputCloses();
  const userArgs = argv.slice(2);
  let env: CliEnv;
  try {
    const { globals, rest } = splitGlobalOptions(userArgs);
    if (!io.color || globals.json) io.color = false;
    if (asksForVersion(rest)) {
      io.out(globals.json ? `${JSON.stringify({ version: VERSION })}\n` : `${VERSION}\n`);
      return (process.exitCode = ExitCode.ok);
    }
    env = { globals, io, argv: userArgs, exitCode: ExitCode.ok };
    const program = buildProgram(env);
    await program.parseAsync(rest, { from: 'user' });
  } catch (err) {
    const code = await handleTopLevel(err, io, userArgs);
    process.exitCode = code;
    return code;
  }
  process.exitCode = env.exitCode;
  return env.exitCode;
}

async function handleTopLevel(err: unknown, io: Io, argv: string[]): Promise<number> {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok;
    // commander has already printed its message; a bare noun without a verb lands here too
    return ExitCode.usage;
  }
  const env: CliEnv = {
    globals: { home: '', json: argv.includes('--json'), yes: false, dryRun: false, forks: 50, debug: argv.includes('--debug'), knownHosts: '', acceptNewHostKeys: false, become: false },
    io, argv, exitCode: 0,
  };
  return reportError(env, err instanceof Error ? err : new UsageError(String(err)));
}
