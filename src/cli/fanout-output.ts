// Output of commands that work on many hosts. --json: NDJSON, one object per host as it finishes, then a
// summary object. Terminal: a spinner on stderr (hosts done / failed / left) and a line per host. Piped: one
// tab-separated line per host on stdout.
import type { Context } from '../app/context.js';
import type { FanoutEvent, HostOutcome } from '../remote/fanout.js';
import type { HostView } from '../app/fleet-view.js';
import type { RemoteRun } from '../app/remote-run.js';
import { colour } from './output.js';
import { setActiveProgress } from './run.js';

export interface HostLine<R> {
  /** fields of the host's JSON object beyond host, ok, changed, error */
  json(result: R | null): Record<string, unknown>;
  /** short text after the host name on a terminal or in piped output */
  text(result: R | null): string;
  changed?(result: R | null): boolean;
}

interface Spinner {
  text: string;
  start(): Spinner;
  stop(): Spinner;
  clear(): Spinner;
  render(): Spinner;
}

export class FanoutPrinter<R> {
  #spinner: Spinner | null = null;
  #done = 0;
  #failed = 0;
  #total = 0;
  #started = 0;
  constructor(private readonly ctx: Context, private readonly line: HostLine<R>, private readonly opts: { statusToStderr?: boolean } = {}) {}

  async start(total: number): Promise<void> {
    this.#total = total;
    // A terminal that reports no width (some ptys) makes spinners redraw endlessly: plain lines there.
    if (this.ctx.globals.json || !this.ctx.io.stderrIsTTY || !process.stderr.columns) return;
    const { default: ora } = await import('ora');
    this.#spinner = ora({ text: this.#status(), stream: process.stderr, isEnabled: true }).start() as unknown as Spinner;
    setActiveProgress(this.#spinner);
  }

  #status(): string {
    const total = Math.max(this.#total, this.#started);
    return `${this.#done}/${total} hosts done, ${this.#failed} failed, ${total - this.#done} left`;
  }

  /** Prints above the spinner without tearing it. */
  above(print: () => void): void {
    if (this.#spinner) this.#spinner.clear();
    print();
    if (this.#spinner) this.#spinner.render();
  }

  onEvent = (event: FanoutEvent<R>, host: HostView): void => {
    if (event.type === 'start') {
      this.#started++;
      if (this.#spinner) this.#spinner.text = this.#status();
      return;
    }
    this.#done++;
    this.#print(event.outcome, host, this.judgeFailure(event.outcome));
  };

  /** Commands with a judge set this so streamed lines show the final verdict. */
  judgeFailure: (o: HostOutcome<R>) => string | null = (o) => withHint(o);

  #print(outcome: HostOutcome<R>, host: HostView, failure: string | null): void {
    const ok = failure === null;
    if (!ok) this.#failed++;
    const changed = ok && (this.line.changed?.(outcome.result) ?? false);
    if (this.ctx.globals.json) {
      this.ctx.io.out(JSON.stringify({ type: 'host', host: host.name, ip: host.ip, cluster_name: host.cluster_name, ok, changed, error: failure, duration_ms: outcome.duration_ms, ...this.line.json(outcome.result) }) + '\n');
      return;
    }
    const text = this.line.text(outcome.result);
    if (!this.ctx.io.stdoutIsTTY) {
      const record = [host.name, ok ? 'ok' : 'failed', changed ? 'changed' : 'unchanged', ok ? text : failure].join('\t') + '\n';
      if (this.opts.statusToStderr) this.ctx.io.err(record);
      else this.ctx.io.out(record);
      return;
    }
    void colour(this.ctx.io).then((chalk) => {
      const mark = ok ? (chalk ? chalk.green('✔') : 'ok') : chalk ? chalk.red('✘') : 'FAILED';
      this.above(() => this.ctx.io.out(`${mark} ${host.name}${ok ? (text ? `  ${text}` : '') : `  ${failure}`}\n`));
      if (this.#spinner) this.#spinner.text = this.#status();
    });
  }

  async finish(run: RemoteRun<R>): Promise<void> {
    this.#spinner?.stop();
    setActiveProgress(null);
    const ok = run.outcomes.filter((o) => o.ok).length;
    const failed = run.outcomes.length - ok;
    const changed = run.outcomes.filter((o) => o.ok && (this.line.changed?.(o.result) ?? false)).length;
    if (this.ctx.globals.json) {
      this.ctx.io.out(JSON.stringify({ type: 'summary', command: this.ctx.command, hosts: run.outcomes.length, ok, changed, failed, failed_hosts: run.outcomes.filter((o) => !o.ok).map((o) => o.host.name), interrupted: run.interrupted, exit_code: run.exitCode }) + '\n');
      return;
    }
    const chalk = await colour(this.ctx.io);
    const summary = `${run.outcomes.length} host(s): ${ok} ok, ${changed} changed, ${failed} failed${run.interrupted ? ' (interrupted)' : ''}`;
    this.ctx.io.err(`${failed && chalk ? chalk.red(summary) : summary}\n`);
    if (failed > 0 && !run.interrupted) this.ctx.io.err(`re-run only the failed hosts with: --limit @failed\n`);
  }
}

/** A host's error with its hint, so the person reading it knows what to do. */
export function withHint<R>(o: HostOutcome<R>): string | null {
  if (!o.error) return null;
  return o.error.hint ? `${o.error.message} (hint: ${o.error.hint})` : o.error.message;
}
