// The agent: runs on a host for the length of one promanager command, reading JSON-line requests on stdin and
// answering on stdout. Node built-ins only (it is bundled into one file and pushed over SSH). When stdin closes
// (the command ended or the connection dropped) it ends every child it started and exits.
import { createInterface } from 'node:readline';
import type { AgentErrorCode, AgentMessage, AgentRequest } from './protocol.js';
import { handlers, AgentFailure, type HandlerContext } from './handlers.js';
import { killAllChildren } from './children.js';

function send(message: AgentMessage): void {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function errorCode(err: unknown): AgentErrorCode {
  if (err instanceof AgentFailure) return err.code;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'not_found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission';
  return 'failed';
}

async function dispatch(request: AgentRequest): Promise<void> {
  const handler = handlers[request.method];
  if (!handler) {
    send({ id: request.id, error: { code: 'unknown_method', message: `unknown method '${request.method}'` } });
    return;
  }
  const ctx: HandlerContext = { emit: (event, data) => send({ id: request.id, event, data }) };
  try {
    const result = await handler(request.params ?? {}, ctx);
    send({ id: request.id, result: result ?? null });
  } catch (err) {
    send({ id: request.id, error: { code: errorCode(err), message: (err as Error).message, detail: err instanceof AgentFailure ? err.detail : undefined } });
  }
}

function shutdown(): void {
  killAllChildren();
  // Let stdout drain the last replies before leaving.
  setTimeout(() => process.exit(0), 50).unref();
}

function start(): void {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let request: AgentRequest;
    try {
      request = JSON.parse(line) as AgentRequest;
      if (typeof request.id !== 'number' || typeof request.method !== 'string') throw new Error('needs numeric id and string method');
    } catch (err) {
      send({ id: 0, error: { code: 'bad_request', message: `unreadable request: ${(err as Error).message}` } });
      return;
    }
    void dispatch(request);
  });
  lines.on('close', shutdown);
  process.stdout.on('error', shutdown); // EPIPE: the controller is gone
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);
}

start();
