// Rule files from the controller: `<rules dir>/*.yml` go to every cluster's Prometheus and
// `<rules dir>/<cluster>/*.yml` to that cluster's only. On the host they keep that layout under rules/.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConfigFile } from './config-model.js';

const RULE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$/;

function ruleFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && RULE_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export function collectRules(rulesDir: string, cluster: string): ConfigFile[] {
  const common = ruleFilesIn(rulesDir).map((name) => ({ path: `rules/${name}`, content: readFileSync(path.join(rulesDir, name), 'utf8') }));
  const own = ruleFilesIn(path.join(rulesDir, cluster)).map((name) => ({ path: `rules/${cluster}/${name}`, content: readFileSync(path.join(rulesDir, cluster, name), 'utf8') }));
  return [...common, ...own];
}
