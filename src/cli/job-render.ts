// Rendering for the job commands: live output prefixed per host, next run times, run results in a word.
import type { OutputEvent } from '../agent/jobs-protocol.js';
import type { Context } from '../app/context.js';
import type { HostView } from '../app/fleet-view.js';
import type { HistoryRow } from '../app/jobs-history.js';
import { formatBytes } from '../app/jobs-spec.js';
import type { Column } from './output.js';

/**
 * A job's output as it streams, one line at a time with the host in front (`host | line` on a terminal,
 * `host<TAB>line` when piped): stdout to stdout, stderr to stderr. Partial lines wait for their end per host
 * and stream, so two hosts' output never mixes within a line.
 */
export class HostLineStreamer {
  readonly #partial = new Map<string, string>();
  constructor(private readonly ctx: Context, private readonly printer: { above(print: () => void): void }) {}

  #emit(host: HostView, stream: OutputEvent['stream'], line: string): void {
    const write = stream === 'stdout' ? this.ctx.io.out : this.ctx.io.err;
    const text = this.ctx.io.stdoutIsTTY ? `${host.name} | ${line}\n` : `${host.name}\t${line}\n`;
    this.printer.above(() => write(text));
  }

  onOutput = (host: HostView, event: OutputEvent): void => {
    if (this.ctx.globals.json) return;
    const key = `${host.id}:${event.stream}`;
    const lines = ((this.#partial.get(key) ?? '') + event.text).split('\n');
    this.#partial.set(key, lines.pop() ?? '');
    for (const line of lines) this.#emit(host, event.stream, line);
  };

  flush(host: HostView): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${host.id}:${stream}`;
      const rest = this.#partial.get(key);
      if (rest) this.#emit(host, stream, rest);
      this.#partial.delete(key);
    }
  }
}

/** Cron runs in the host's time zone; these are in this machine's, which the message says. */
export function formatNextRuns(runs: Date[]): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const fmt = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} ${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getDay()]}`;
  if (runs.length === 0) return 'never (no such date comes within ten years)';
  return `${runs.map(fmt).join(', ')} (${zone}; cron on each host uses the host's time zone)`;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 3_600_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 3_600_000).toFixed(1)} h`;
}

export function cappedNote(r: { truncated: boolean; output_bytes: number }, maxBytes: number): string {
  return r.truncated ? `output capped: kept ${formatBytes(maxBytes)} and the tail of ${formatBytes(r.output_bytes)}` : '';
}

export function historyResult(r: Pick<HistoryRow, 'error' | 'timed_out' | 'signal' | 'exit_code'>): string {
  if (r.error) return `error: ${r.error}`;
  if (r.timed_out) return 'timed out';
  if (r.signal) return `killed (${r.signal})`;
  return r.exit_code === 0 ? 'ok' : `exit ${r.exit_code}`;
}

export const HISTORY_COLUMNS: Column<HistoryRow>[] = [
  { header: 'RUN', value: (r) => r.run_id },
  { header: 'HOST', value: (r) => r.host },
  { header: 'VERSION', value: (r) => r.job_version },
  { header: 'SOURCE', value: (r) => r.source },
  { header: 'STARTED', value: (r) => r.started_at },
  { header: 'DURATION', value: (r) => r.duration_ms, tty: (r) => formatDuration(r.duration_ms) },
  { header: 'RESULT', value: (r) => historyResult(r) },
  { header: 'OUTPUT', value: (r) => `${r.output_bytes}${r.truncated ? ' (capped)' : ''}`, tty: (r) => `${formatBytes(r.output_bytes)}${r.truncated ? ' (capped)' : ''}` },
  { header: 'FILE', value: (r) => r.output_file },
];
