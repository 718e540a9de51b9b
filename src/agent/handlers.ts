// The agent's methods. Each takes JSON params and returns a JSON result; long work streams events.
import { createHash } from 'node:crypto';
import { readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { AGENT_PROTOCOL, type AgentErrorCode, type ExecParams, type HelloResult, type WriteFileParams } from './protocol.js';
import { gatherFacts } from './facts.js';
import { runCommand } from './exec.js';
import { ChecksumMismatch, readFileChecked, writeFileAtomic } from './files.js';

export class AgentFailure extends Error {
  constructor(readonly code: AgentErrorCode, message: string, readonly detail?: unknown) {
    super(message);
  }
}

export interface HandlerContext {
  emit(event: string, data: unknown): void;
}

export type Handler = (params: unknown, ctx: HandlerContext) => unknown;

function obj(params: unknown): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new AgentFailure('bad_request', 'params must be an object');
  return params as Record<string, unknown>;
}

function str(params: Record<string, unknown>, key: string): string {
  const v = params[key];
  if (typeof v !== 'string' || v === '') throw new AgentFailure('bad_request', `param '${key}' must be a non-empty string`);
  return v;
}

let selfHash: string | null = null;
function ownSha256(): string {
  if (selfHash === null) {
    try {
      selfHash = createHash('sha256').update(readFileSync(__filename)).digest('hex');
    } catch {
      selfHash = 'unknown';
    }
  }
  return selfHash;
}

const coreHandlers: Record<string, Handler> = {
  hello: (): HelloResult => ({
    protocol: AGENT_PROTOCOL,
    agent_sha256: ownSha256(),
    pid: process.pid,
    node: process.version,
    uid: typeof process.getuid === 'function' ? process.getuid() : -1,
    user: os.userInfo().username,
    hostname: os.hostname(),
  }),
  facts: () => gatherFacts(),
  exec: (params, ctx) => {
    const p = obj(params) as unknown as ExecParams;
    if (typeof p.command !== 'string' && !(Array.isArray(p.command) && p.command.length > 0)) {
      throw new AgentFailure('bad_request', "param 'command' must be a string or a non-empty array");
    }
    return runCommand(p, ctx.emit);
  },
  write_file: (params) => {
    const p = obj(params);
    try {
      return writeFileAtomic({ ...(p as unknown as WriteFileParams), path: str(p, 'path') });
    } catch (err) {
      if (err instanceof ChecksumMismatch) throw new AgentFailure('checksum', err.message);
      throw err;
    }
  },
  read_file: (params) => readFileChecked(str(obj(params), 'path')),
  ping: () => ({ time_ms: Date.now() }),
  /** What `doctor` needs from inside the host: where the agent lives, the room there, the clock. */
  doctor: () => {
    const dir = path.dirname(__filename);
    const fs = statfsSync(dir);
    return { agent_dir: dir, free_bytes: fs.bavail * fs.bsize, time_ms: Date.now(), node: process.version, uid: typeof process.getuid === 'function' ? process.getuid() : -1 };
  },
};

// Feature modules register their methods in their own files.
import { fimHandlers } from './fim.js';
import { jobHandlers } from './jobs.js';
import { serviceHandlers } from './services.js';
import { configHandlers } from './config.js';

export const handlers: Record<string, Handler> = { ...coreHandlers, ...fimHandlers, ...jobHandlers, ...serviceHandlers, ...configHandlers };
