// SHA-256 of many files on every core: worker threads each read with one reused 1 MiB buffer and hash with
// Node's crypto (SHA-NI where the CPU has it). Small files are sent in batches so the message round trip does
// not dominate. A file is opened without following a final symlink (the walker saw a regular file there) and
// checked to be the same inode, unchanged while read: otherwise its hash is not trusted and the reason is
// returned instead. The worker is plain JavaScript evaluated from a string, so the agent stays one file.
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export interface HashResult {
  sha256: string | null;
  error?: string;
}

interface Job {
  path: string;
  /** inode the walker saw, as a decimal string */
  ino: string;
  follow: boolean;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const buffer = Buffer.allocUnsafe(1 << 20);
const describe = (e) => e && e.code ? e.code + ': ' + String(e.message).replace(/^[A-Z]+: /, '').replace(/, \\w+ '.*'$/, '') : String(e);
function hashOne(job) {
  let fd;
  try {
    const flags = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (job.follow ? 0 : fs.constants.O_NOFOLLOW);
    fd = fs.openSync(job.path, flags);
  } catch (e) {
    return { sha256: null, error: e.code === 'ENOENT' ? 'vanished during the scan' : describe(e) };
  }
  try {
    const before = fs.fstatSync(fd, { bigint: true });
    if (!before.isFile() || before.ino.toString() !== job.ino) return { sha256: null, error: 'replaced during the scan' };
    const hash = crypto.createHash('sha256');
    let n;
    while ((n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, n));
    const after = fs.fstatSync(fd, { bigint: true });
    if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) return { sha256: null, error: 'changed while being read' };
    return { sha256: hash.digest('hex') };
  } catch (e) {
    return { sha256: null, error: describe(e) };
  } finally {
    fs.closeSync(fd);
  }
}
parentPort.on('message', (batch) => parentPort.postMessage({ id: batch.id, results: batch.jobs.map(hashOne) }));
`;

const BATCH_FILES = 64;
const BATCH_BYTES = 16 << 20;

interface Pending {
  resolve(r: HashResult): void;
}

interface Lane {
  worker: Worker;
  /** bytes sent and not yet answered: the next batch goes to the least loaded lane */
  load: number;
  batches: Map<number, { pending: Pending[]; bytes: number }>;
}

export function defaultHashWorkers(): number {
  const env = Number(process.env.PROMANAGER_FIM_WORKERS);
  if (Number.isInteger(env) && env > 0) return env;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, 4));
}

export class Hasher {
  #lanes: Lane[] | null = null;
  #nextBatch = 1;
  #jobs: Job[] = [];
  #pending: Pending[] = [];
  #bytes = 0;
  #failure: Error | null = null;

  constructor(private readonly workers = defaultHashWorkers()) {}

  /** Workers start on the first file that needs hashing: a check where nothing changed never pays for them. */
  #start(): Lane[] {
    if (this.#lanes) return this.#lanes;
    this.#lanes = Array.from({ length: this.workers }, () => {
      const lane: Lane = { worker: new Worker(WORKER_SOURCE, { eval: true }), load: 0, batches: new Map() };
      lane.worker.on('message', (m: { id: number; results: HashResult[] }) => {
        const batch = lane.batches.get(m.id);
        if (!batch) return;
        lane.batches.delete(m.id);
        lane.load -= batch.bytes;
        batch.pending.forEach((p, i) => p.resolve(m.results[i] ?? { sha256: null, error: 'no answer from the hashing thread' }));
      });
      lane.worker.on('error', (err) => this.#fail(lane, err));
      lane.worker.on('exit', (code) => {
        if (lane.batches.size > 0) this.#fail(lane, new Error(`hashing thread exited (${code})`));
      });
      return lane;
    });
    return this.#lanes;
  }

  #fail(lane: Lane, err: Error): void {
    this.#failure = err;
    for (const batch of lane.batches.values()) for (const p of batch.pending) p.resolve({ sha256: null, error: `I/O error: ${err.message}` });
    lane.batches.clear();
  }

  hash(file: string, size: number, ino: string, follow: boolean): Promise<HashResult> {
    return new Promise((resolve) => {
      this.#jobs.push({ path: file, ino, follow });
      this.#pending.push({ resolve });
      this.#bytes += size;
      if (this.#jobs.length >= BATCH_FILES || this.#bytes >= BATCH_BYTES) this.flush();
    });
  }

  /** Sends the batch being gathered; call before waiting on any of its files. */
  flush(): void {
    if (this.#jobs.length === 0) return;
    if (this.#failure) throw this.#failure;
    const lanes = this.#start();
    const lane = lanes.reduce((a, b) => (b.load < a.load ? b : a));
    const id = this.#nextBatch++;
    lane.batches.set(id, { pending: this.#pending, bytes: this.#bytes + 1 });
    lane.load += this.#bytes + 1;
    lane.worker.postMessage({ id, jobs: this.#jobs });
    this.#jobs = [];
    this.#pending = [];
    this.#bytes = 0;
  }

  async close(): Promise<void> {
    const lanes = this.#lanes ?? [];
    this.#lanes = null;
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }
}
