// The version printed by `promanager --version` / `-V`, set by the build from package.json.
declare const __PROMANAGER_VERSION__: string | undefined;

export const VERSION: string = typeof __PROMANAGER_VERSION__ === 'string' ? __PROMANAGER_VERSION__ : 'development';

/**
 * `--version` and `-V` ask for the version only before any command word: `service install --version 2.53.1`
 * names a component version, so commander cannot own `--version` on every level.
 */
export function asksForVersion(rest: string[]): boolean {
  const first = rest[0];
  return first === '--version' || first === '-V';
}
