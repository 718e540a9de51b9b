// Agent methods for file integrity monitoring (registered in handlers.ts) and the `fim-check` mode cron runs.
// Results stream back as events: a baseline as its compressed bytes (the controller stores exactly what the
// host copy holds, so one sha256 names both), a check as batches of differences. Nothing is held whole.
import type { Handler } from './handlers.js';
import { AgentFailure } from './handlers.js';
import { FIM_ATTRIBUTES, type DriftEntry, type FimAttribute, type FimPolicySpec } from './fim-entry.js';
import { files, hasBaseline, policyDir, putBaselineChunk, readJournal, validPolicyName } from './fim-host.js';
import { checkAgainst, takeBaseline } from './fim-run.js';
import { installSchedule, metricsBody, metricsName, removeSchedule, scheduledCheck } from './fim-cron.js';
import { alignTextfileDir } from './textfile-align.js';
import { textfileDirParam, writeTextfileMetrics } from './textfile.js';

// Kept under V8's large-object size once base64-encoded: big strings would pile up in the controller's old
// generation until a major GC, and its memory would grow with the baseline instead of staying flat.
const CHUNK_EVENT_BYTES = 64 << 10;
const DRIFT_EVENT_ENTRIES = 256;

function record(params: unknown): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new AgentFailure('bad_request', 'params must be an object');
  return params as Record<string, unknown>;
}

function policyName(value: unknown): string {
  if (typeof value !== 'string' || !validPolicyName(value)) throw new AgentFailure('bad_request', `invalid policy name ${JSON.stringify(value)}`);
  return value;
}

function sha256Param(value: unknown): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) throw new AgentFailure('bad_request', 'baseline_sha256 must be 64 hex digits');
  return value;
}

function strings(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new AgentFailure('bad_request', `${what} must be a list of strings`);
  return value as string[];
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new AgentFailure('bad_request', `${what} must be a whole number`);
  return value;
}

export function parseSpec(value: unknown): FimPolicySpec {
  const s = record(value);
  const paths = strings(s.paths, 'paths');
  if (paths.length === 0 || !paths.every((p) => p.startsWith('/'))) throw new AgentFailure('bad_request', 'paths must be absolute and at least one');
  const attributes = strings(s.attributes, 'attributes');
  if (!attributes.every((a) => (FIM_ATTRIBUTES as readonly string[]).includes(a))) throw new AgentFailure('bad_request', `attributes must be among ${FIM_ATTRIBUTES.join(',')}`);
  return {
    name: policyName(s.name),
    paths,
    excludes: strings(s.excludes, 'excludes'),
    max_depth: s.max_depth === null ? null : count(s.max_depth, 'max_depth'),
    attributes: attributes as FimAttribute[],
    follow_symlinks: s.follow_symlinks === true,
    max_files: count(s.max_files, 'max_files'),
    max_bytes: count(s.max_bytes, 'max_bytes'),
  };
}

/** Groups small items into fewer, bigger events. */
function batcher<T>(emit: (batch: T[]) => void, size: number) {
  let items: T[] = [];
  return {
    add(item: T) {
      items.push(item);
      if (items.length >= size) this.flush();
    },
    flush() {
      if (items.length) emit(items);
      items = [];
    },
  };
}

export const fimHandlers: Record<string, Handler> = {
  fim_baseline: async (params, ctx) => {
    const p = record(params);
    const spec = parseSpec(p.spec);
    const dir = policyDir(spec.name);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flushChunks = () => {
      if (pendingBytes === 0) return;
      ctx.emit('chunk', Buffer.concat(pending).toString('base64'));
      pending = [];
      pendingBytes = 0;
    };
    const unknown = batcher<{ path: string; reason: string }>((b) => ctx.emit('unknown', b), 256);
    const keep = p.keep !== false;
    const outcome = await takeBaseline(spec, files(dir).baseline, {
      keep,
      onChunk: keep ? (chunk) => {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= CHUNK_EVENT_BYTES) flushChunks();
      } : undefined,
      onUnknown: (path, reason) => unknown.add({ path, reason }),
    });
    flushChunks();
    unknown.flush();
    return outcome;
  },

  fim_check: async (params, ctx) => {
    const p = record(params);
    const spec = parseSpec(p.spec);
    const sha256 = sha256Param(p.baseline_sha256);
    const dir = policyDir(spec.name);
    if (!(await hasBaseline(dir, sha256))) return { need_baseline: true };
    const drift = batcher<DriftEntry>((b) => ctx.emit('drift', b), DRIFT_EVENT_ENTRIES);
    const outcome = await checkAgainst(spec, files(dir).baseline, p.full === true, (d) => drift.add(d));
    drift.flush();
    if (outcome.limit) return outcome;
    // An on-demand check publishes what it found at once: alerts need not wait for the next cron tick.
    const textfileDir = textfileDirParam(p.textfile_dir);
    alignTextfileDir(textfileDir);
    const textfile = writeTextfileMetrics(metricsName(spec.name), metricsBody(spec.name, outcome.added + outcome.removed + outcome.modified, outcome.unknown, new Date()), textfileDir);
    return { ...outcome, textfile };
  },

  /** After `fim accept`: what is still not accepted of the latest check, so an alert clears at once. */
  fim_metrics: (params) => {
    const p = record(params);
    const policy = policyName(p.policy);
    const textfileDir = textfileDirParam(p.textfile_dir);
    alignTextfileDir(textfileDir);
    return { textfile: writeTextfileMetrics(metricsName(policy), metricsBody(policy, count(p.changed, 'changed'), count(p.unknown, 'unknown'), new Date()), textfileDir) };
  },

  /** The controller's baseline, in pieces, when the host copy is missing or is not the controller's. */
  fim_put_baseline: async (params) => {
    const p = record(params);
    const dir = policyDir(policyName(p.policy));
    if (typeof p.data !== 'string') throw new AgentFailure('bad_request', 'data must be base64');
    return putBaselineChunk(dir, count(p.offset, 'offset'), Buffer.from(p.data, 'base64'), p.sha256 === null || p.sha256 === undefined ? null : sha256Param(p.sha256));
  },

  fim_journal: (params) => {
    const p = record(params);
    return readJournal(policyDir(policyName(p.policy)), count(p.offset, 'offset'));
  },

  fim_schedule: async (params) => {
    const p = record(params);
    if (typeof p.schedule !== 'string') throw new AgentFailure('bad_request', 'schedule must be a cron expression');
    try {
      const textfileDir = textfileDirParam(p.textfile_dir);
      alignTextfileDir(textfileDir);
      return await installSchedule(parseSpec(p.spec), sha256Param(p.baseline_sha256), p.schedule, textfileDir);
    } catch (err) {
      if (err instanceof AgentFailure) throw err;
      throw new AgentFailure('failed', (err as Error).message);
    }
  },

  fim_unschedule: (params) => {
    try {
      return removeSchedule(policyName(record(params).policy));
    } catch (err) {
      if (err instanceof AgentFailure) throw err;
      throw new AgentFailure('failed', (err as Error).message);
    }
  },
};

/** Modes run as `node agent.cjs <mode> [args]` (from cron or as a service supervisor), not over the protocol. */
export const fimModes: Record<string, (args: string[]) => Promise<number>> = {
  'fim-check': scheduledCheck,
};
