// The Component table: the component name+version pairs promanager knows.
import { ConflictError, PromanagerError } from '../core/errors.js';
import { nextId } from '../store/fleet.js';
import type { Component } from '../store/schema.js';
import type { Context } from './context.js';
import { beginRead } from './read.js';
import { transact } from './transaction.js';

export async function listComponents(ctx: Context): Promise<Component[]> {
  const { state } = await beginRead(ctx);
  return [...state.components].sort((a, b) => a.component_name.localeCompare(b.component_name) || compareVersions(a.version, b.version));
}

export async function addComponent(ctx: Context, name: string, version: string, description: string): Promise<Component> {
  if (!/^[a-z][a-z0-9_-]{0,62}$/.test(name)) {
    throw new PromanagerError(`invalid component name '${name}'`, { exitCode: 2, hint: 'lowercase letters, digits, "_" and "-", e.g. node_exporter' });
  }
  if (!/^v?\d+(\.\d+){0,3}([-+][0-9A-Za-z.-]+)?$/.test(version)) {
    throw new PromanagerError(`invalid version '${version}'`, { exitCode: 2, hint: 'use a release version such as 2.53.1' });
  }
  const clean = version.replace(/^v/, '');
  return transact(ctx, (tx) => {
    tx.require('admin', null);
    return ensureComponent(tx.state, name, clean, description, tx.now, true);
  });
}

/** Finds or creates a component row; `strict` makes an existing row a conflict (for `component add`). */
export function ensureComponent(state: { components: Component[] }, name: string, version: string, description: string, now: string, strict = false): Component {
  const existing = state.components.find((c) => c.component_name === name && c.version === version);
  if (existing) {
    if (strict) throw new ConflictError(`component ${name} ${version} already exists`, { hint: 'component name and version are unique together' });
    return existing;
  }
  const row: Component = { id: nextId(state.components), component_name: name, description, version, create_at: now, update_at: now };
  state.components.push(row);
  return row;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const pb = b.split(/[.-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x).localeCompare(String(y));
  }
  return 0;
}
