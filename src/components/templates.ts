// Built-in templates (templates/ in the package) with `${name}` placeholders. A `templates/` directory beside
// the inventory file overrides a built-in file of the same name.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PromanagerError } from '../core/errors.js';

export function builtinTemplatesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (path.basename(dir) === 'dist' || path.basename(dir) === 'src') return path.join(path.dirname(dir), 'templates');
    dir = path.dirname(dir);
  }
  return path.join(dir, 'templates');
}

export function loadTemplate(name: string, inventoryFile?: string): string {
  const candidates = inventoryFile ? [path.join(path.dirname(inventoryFile), 'templates', name)] : [];
  candidates.push(path.join(builtinTemplatesDir(), name));
  for (const file of candidates) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      // next
    }
  }
  throw new PromanagerError(`template ${name} not found (looked in ${candidates.join(', ')})`);
}

/** Replaces `${name}`; an unknown name is an error rather than an empty string in a generated file. */
export function fillTemplate(text: string, values: Record<string, string | number>, name = 'template'): string {
  return text.replace(/\$\{([a-z_]+)\}/g, (_, key: string) => {
    if (!(key in values)) throw new PromanagerError(`${name}: no value for \${${key}}`);
    return String(values[key]);
  });
}
