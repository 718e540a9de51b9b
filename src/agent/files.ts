// File operations on the host. Writes are atomic (temporary file beside the target, fsync, rename) and
// checked against the sha256 the controller sent, so a half-written or corrupted file is never put in place.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { WriteFileParams } from './protocol.js';

export class ChecksumMismatch extends Error {}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function writeFileAtomic(params: WriteFileParams): { path: string; sha256: string; bytes: number; changed: boolean } {
  const data = Buffer.from(params.content, 'base64');
  const digest = sha256(data);
  if (params.sha256 && params.sha256 !== digest) {
    throw new ChecksumMismatch(`content for ${params.path} arrived with sha256 ${digest}, expected ${params.sha256}`);
  }
  if (params.mkdir) mkdirSync(path.dirname(params.path), { recursive: true });
  try {
    if (sha256(readFileSync(params.path)) === digest) {
      if (params.mode !== undefined) chmodSync(params.path, params.mode);
      return { path: params.path, sha256: digest, bytes: data.length, changed: false };
    }
  } catch {
    // missing or unreadable: write it
  }
  writeAtomicSync(params.path, data, params.mode ?? 0o644);
  return { path: params.path, sha256: digest, bytes: data.length, changed: true };
}

export function readFileChecked(file: string, maxBytes = 16 * 1024 * 1024): { content: string; sha256: string; bytes: number } {
  const st = lstatSync(file);
  if (st.size > maxBytes) throw new Error(`${file} is ${st.size} bytes, over the ${maxBytes}-byte limit for read_file`);
  const data = readFileSync(file);
  return { content: data.toString('base64'), sha256: sha256(data), bytes: data.length };
}

/**
 * Temporary file beside the target, fsync, rename: readers see the old content or the new, never half of it.
 * The mode is set on the descriptor because the agent runs under umask 077 (a requested mode would be masked).
 */
export function writeAtomicSync(file: string, content: string | Buffer, mode: number): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'w', mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, file);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing to clean
    }
    throw err;
  }
}
