// Remote output shown as it comes, one line at a time with the host in front (`host | line` on a terminal,
// `host<TAB>line` when piped), for exec and service logs.
import type { Context } from '../app/context.js';
import type { HostView } from '../app/fleet-view.js';

/** Streams output line by line with the host in front, buffering partial lines per host and stream. */
export function lineStreamer(ctx: Context, printer: { above(print: () => void): void }) {
  const partial = new Map<string, string>();
  const emit = (host: HostView, stream: 'stdout' | 'stderr', line: string) => {
    const write = stream === 'stdout' ? ctx.io.out : ctx.io.err;
    const text = ctx.io.stdoutIsTTY ? `${host.name} | ${line}\n` : `${host.name}\t${line}\n`;
    printer.above(() => write(text));
  };
  return {
    onOutput(host: HostView, stream: 'stdout' | 'stderr', text: string) {
      if (ctx.globals.json) return;
      const key = `${host.id}:${stream}`;
      const lines = ((partial.get(key) ?? '') + text).split('\n');
      partial.set(key, lines.pop() ?? '');
      for (const line of lines) emit(host, stream, line);
    },
    flush(host: HostView) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const key = `${host.id}:${stream}`;
        const rest = partial.get(key);
        if (rest) emit(host, stream, rest);
        partial.delete(key);
      }
    },
  };
}

