// Schema migrations: each step takes the raw JSON of version N to version N+1. Raw because an old file does
// not match today's schema; validation happens after the last step.
import { PromanagerError } from '../core/errors.js';
import { SCHEMA_VERSION } from './schema.js';

type Migration = (raw: Record<string, unknown>) => Record<string, unknown>;

/** MIGRATIONS[n] upgrades version n+1 to n+2. Version 1 is the first released schema, so the list is empty. */
const MIGRATIONS: Migration[] = [];

export function migrate(raw: unknown, file: string): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw; // the schema check reports it
  let doc = raw as Record<string, unknown>;
  const version = doc.schema_version;
  if (typeof version !== 'number') return raw;
  if (version > SCHEMA_VERSION) {
    throw new PromanagerError(`state database ${file} has schema version ${version}, newer than this promanager (${SCHEMA_VERSION})`, {
      hint: 'upgrade promanager; it will not touch a state written by a newer version',
    });
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    const step = MIGRATIONS[v - 1];
    if (!step) throw new PromanagerError(`no migration from schema version ${v} in ${file}`);
    doc = { ...step(doc), schema_version: v + 1 };
  }
  return doc;
}

export const migrationsForTest = MIGRATIONS;
