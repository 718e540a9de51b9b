// Facts about the host, read from the kernel's own files: the Host record's hostname, cpu, mem, root and os.
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import type { Facts } from './protocol.js';

function percent(used: number, total: number): string {
  return total > 0 ? `${((used / total) * 100).toFixed(1)}%` : 'n/a';
}

function memInfo(): { total: number; available: number } {
  const text = readFileSync('/proc/meminfo', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { total: field('MemTotal'), available: field('MemAvailable') || field('MemFree') };
}

function osName(): string {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      const text = readFileSync(file, 'utf8');
      const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1];
      if (pretty) return pretty;
    } catch {
      // try the next
    }
  }
  return `${os.type()} ${os.release()}`;
}

export function gatherFacts(): Facts {
  const mem = memInfo();
  // df's arithmetic: used / (used + available to unprivileged users)
  const fs = statfsSync('/');
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  const avail = fs.bavail * fs.bsize;
  return {
    hostname: os.hostname(),
    cpu: os.cpus().length,
    mem: percent(mem.total - mem.available, mem.total),
    mem_total_bytes: mem.total,
    root: percent(used, used + avail),
    root_free_bytes: avail,
    os: osName(),
    kernel: os.release(),
    arch: os.machine ? os.machine() : process.arch,
    uptime_seconds: Math.round(os.uptime()),
    time_ms: Date.now(),
    has_systemd: existsSync('/run/systemd/system'),
    uid: typeof process.getuid === 'function' ? process.getuid() : -1,
    home: os.homedir(),
  };
}
