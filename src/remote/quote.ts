// The one shell-quoting function. Everything sent to a host is data (JSON to the agent); where a shell line
// cannot be avoided (the bootstrap, `exec`), every argument goes through here.

/** POSIX single-quote quoting: safe for any byte string except NUL. */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}
