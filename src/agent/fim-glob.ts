// Path globs for FIM excludes and `fim accept --path`: `*` and `?` stay within one path segment, `**` crosses
// segments, `[...]` is a character class. A pattern without '/' matches the last segment (the file name), so
// `*.log` excludes log files anywhere; a pattern with '/' matches the whole absolute path. Node built-ins only
// (Node 18 on a host has no path.matchesGlob).

export type PathMatcher = (file: string) => boolean;

function escapeRegExp(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

/** The pattern as an anchored RegExp source. */
function globSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        // `**/` may also match nothing, so `/etc/**/x` matches `/etc/x`
        const slash = glob[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else {
        out += '[^/]*';
      }
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      i = close;
    } else {
      out += escapeRegExp(ch);
    }
  }
  return out;
}

export function validateGlob(glob: string): string | null {
  if (glob === '') return 'an empty pattern';
  try {
    new RegExp(`^${globSource(glob)}$`);
    return null;
  } catch {
    return `'${glob}' is not a valid pattern (a range in [...] must go from low to high)`;
  }
}

export function compileGlob(glob: string): PathMatcher {
  const re = new RegExp(`^${globSource(glob)}$`, 's');
  if (!glob.includes('/')) return (file) => re.test(file.slice(file.lastIndexOf('/') + 1));
  // A directory pattern also covers what is inside it: `/var/cache` excludes `/var/cache/x`.
  const inside = new RegExp(`^${globSource(glob.replace(/\/+$/, ''))}/`, 's');
  return (file) => re.test(file) || inside.test(file);
}

/** Matches when any of the patterns does; never matches for an empty list. */
export function compileGlobs(globs: readonly string[]): PathMatcher {
  const matchers = globs.map(compileGlob);
  if (matchers.length === 0) return () => false;
  return (file) => matchers.some((m) => m(file));
}
