// Rendering prometheus.yml and alertmanager.yml with nunjucks (Jinja2 syntax, which Ansible users already
// write). A template of the same name in the override directory wins over the built-in one in templates/.
import nunjucks from 'nunjucks';
import YAML from 'yaml';
import { PromanagerError } from '../core/errors.js';
import { builtinTemplatesDir } from './templates.js';

function environment(overrideDir: string | null): nunjucks.Environment {
  const dirs = overrideDir ? [overrideDir, builtinTemplatesDir()] : [builtinTemplatesDir()];
  // autoescape off: this is YAML, not HTML. throwOnUndefined: a misspelt variable is an error, not an empty
  // string in a config that would then validate with a silently missing value.
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dirs, { noCache: true }), { autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: true });
  // Ansible's names for the same filters, so values from the inventory drop into YAML with correct quoting.
  env.addFilter('to_yaml', (value: unknown) => YAML.stringify(value, { lineWidth: 0 }).replace(/\n$/, ''));
  env.addFilter('to_nice_yaml', (value: unknown) => YAML.stringify(value, { lineWidth: 0 }).replace(/\n$/, ''));
  env.addFilter('to_json', (value: unknown) => JSON.stringify(value));
  return env;
}

export function renderTemplate(name: string, values: Record<string, unknown>, overrideDir: string | null): string {
  try {
    return environment(overrideDir).render(name, values);
  } catch (err) {
    throw new PromanagerError(`template ${name}: ${(err as Error).message.replace(/\s+/g, ' ').trim()}`, {
      hint: overrideDir ? `check ${overrideDir}/${name} or the inventory vars it uses` : 'check the inventory vars the template uses',
    });
  }
}
