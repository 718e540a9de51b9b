// The agent: runs on a host for the length of one promanager command, reading JSON-line requests on stdin and
// answering on stdout. Node built-ins only (it is bundled into one file and pushed over SSH). When stdin closes
// (the command ended or the connection dropped) it ends every child it started and exits.
import { createInterface } from 'node:readline';
import type { AgentErrorCode, AgentMessage, AgentRequest } from './protocol.js';
import { handlers, AgentFailure, type HandlerContext } from './handlers.js';
import { killAllChildren } from './children.js';
import { fimModes } from './fim.js';
import { jobModes } from './jobs.js';
import { serviceModes } from './services.js';

const modes: Record<string, (args: string[]) => Promise<number>> = { ...fimModes, ...jobModes, ...serviceModes };

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

// `node agent.cjs <mode> ...` runs one job and exits (cron, service supervisor); no argument: the protocol.
const mode = process.argv[2];
if (mode) {
  const run = modes[mode];
  if (!run) {
    process.stderr.write(`promanager agent: unknown mode '${mode}'\n`);
    process.exit(2);
  }
  run(process.argv.slice(3)).then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`promanager agent ${mode}: ${(err as Error).message}\n`);
    process.exit(1);
  });
} else {
  start();
}
