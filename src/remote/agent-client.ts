// The controller's end of the agent protocol: numbered requests, streamed events, one result or error each.
import type { AgentMessage, AgentRequest } from '../agent/protocol.js';
import { RemoteError } from './errors.js';

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  onEvent?: (event: string, data: unknown) => void;
}

export class AgentClient {
  #nextId = 1;
  #buffer = '';
  #failed: Error | null = null;
  readonly #pending = new Map<number, Pending>();

  constructor(readonly host: string, private readonly writeLine: (line: string) => void) {}

  call<T>(method: string, params?: unknown, onEvent?: (event: string, data: unknown) => void): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    const request: AgentRequest = { id, method, params };
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, onEvent });
      this.writeLine(JSON.stringify(request) + '\n');
    });
  }

  /** Feed stdout of the agent process. */
  feed(chunk: string): void {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line.trim() !== '') this.#handle(line);
    }
  }

  #handle(line: string): void {
    let message: AgentMessage;
    try {
      message = JSON.parse(line) as AgentMessage;
    } catch {
      this.fail(new RemoteError(this.host, 'agent', `agent on ${this.host} sent an unreadable line: ${line.slice(0, 200)}`));
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if ('event' in message) {
      pending.onEvent?.(message.event, message.data);
    } else if ('error' in message) {
      this.#pending.delete(message.id);
      // A failing service sends the last lines of its log; they belong in the host's error.
      const log = (message.error.detail as { log?: string } | undefined)?.log;
      const text = `${this.host}: ${pending.method}: ${message.error.message}${log ? `\n--- last lines of the log ---\n${log}` : ''}`;
      pending.reject(new RemoteError(this.host, message.error.code === 'failed' ? 'command' : 'agent', text, undefined));
    } else {
      this.#pending.delete(message.id);
      pending.resolve(message.result);
    }
  }

  /** The agent is gone: every outstanding call fails with the reason. */
  fail(err: Error): void {
    if (!this.#failed) this.#failed = err;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.reject(err);
    }
  }
}
