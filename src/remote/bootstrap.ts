// Starting the agent on a host in one channel and one round trip when it is already there: a small POSIX sh
// script finds Node.js >= 18 (the host's own, or a runtime we uploaded earlier), checks that the agent file with
// this content hash exists, and execs it. Only when something is missing does it ask, on the same channel, for
// the bytes (agent, or a gzipped runtime) and verify their sha256 before putting them in place.
//
// Footprint on the host: /var/lib/promanager (as root) or ~/.cache/promanager (as a user); private (0700):
//   agent/<sha256>.cjs   the agent bundle, named by its content hash
//   runtime/node-<version>-<arch>  a Node.js binary, only on hosts without a usable one (sha256-checked on arrival)
import { shellQuote } from './quote.js';

export const BOOTSTRAP_SCRIPT = `
set -u
umask 077
if [ "$(id -u)" = 0 ]; then base=/var/lib/promanager; else base="\${HOME:-/tmp}/.cache/promanager"; fi
mkdir -p "$base/agent" "$base/runtime" 2>/dev/null || { echo "PM_ERROR cannot create $base"; exit 90; }
# The base is traversable (services keep data and textfile metrics under it); agent and runtime stay private.
chmod 755 "$base"; chmod 700 "$base/agent" "$base/runtime"
agent="$base/agent/$1.cjs"
rt="$base/runtime/node-$3"
node_bin=""
for n in "$(command -v node 2>/dev/null)" /usr/local/bin/node /usr/bin/node "$rt"; do
  [ -n "$n" ] && [ -x "$n" ] || continue
  v=$("$n" --version 2>/dev/null) || continue
  major=\${v#v}; major=\${major%%.*}
  case "$major" in ''|*[!0-9]*) continue;; esac
  if [ "$major" -ge 18 ]; then node_bin=$n; break; fi
done
if [ -z "$node_bin" ]; then
  echo "PM_NEED_RUNTIME $(uname -s) $(uname -m)"
  read -r size want || exit 91
  if [ "$size" = 0 ]; then exit 91; fi
  tmp="$rt.$$"
  head -c "$size" | gzip -dc > "$tmp" || { rm -f "$tmp"; echo "PM_ERROR runtime transfer failed"; exit 92; }
  sum=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$sum" != "$want" ]; then rm -f "$tmp"; echo "PM_ERROR runtime checksum $sum != $want"; exit 92; fi
  chmod 700 "$tmp" && mv -f "$tmp" "$rt" && node_bin=$rt
fi
if [ ! -f "$agent" ]; then
  echo "PM_NEED_AGENT"
  tmp="$agent.$$"
  head -c "$2" > "$tmp"
  sum=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$sum" != "$1" ]; then rm -f "$tmp"; echo "PM_ERROR agent checksum $sum != $1"; exit 93; fi
  chmod 500 "$tmp" && mv -f "$tmp" "$agent"
fi
echo "PM_AGENT_START $node_bin"
exec "$node_bin" "$agent"
`;

export interface BootstrapArgs {
  agentSha256: string;
  agentBytes: number;
  /** name of the runtime we would upload (node version and arch), so a host finds one uploaded earlier */
  runtimeName: string;
}

/** The shell line that starts the bootstrap; `sudo` is prepended by the caller when becoming root. */
export function bootstrapCommand(args: BootstrapArgs): string {
  return ['sh', '-c', shellQuote(BOOTSTRAP_SCRIPT), 'promanager-bootstrap', args.agentSha256, String(args.agentBytes), args.runtimeName].join(' ');
}

/** `sudo` in front of a command: -n first; with a password, -S reads it from the first line of stdin. */
export function sudoPrefix(withPassword: boolean): string {
  return withPassword ? "sudo -S -p '' -- " : 'sudo -n -- ';
}

export const SUDO_NEEDS_PASSWORD = /a password is required|a terminal is required/i;

/**
 * Wraps an ad-hoc command so that it dies with the session. sshd does not reliably deliver signals to a
 * non-pty session, and closing the channel only closes pipes, so `sleep 300 &` would outlive a deadline or
 * Ctrl-C. The command runs in its own session (setsid, so it has its own process group); a watcher holds our
 * stdin open and, when it reaches EOF (the controller closed the channel or the connection dropped), ends the
 * whole group: TERM, then KILL. (Background jobs of a non-interactive shell get /dev/null as stdin, hence fd 3.)
 */
export const EXEC_WRAPPER = `
exec 3<&0
if command -v setsid >/dev/null 2>&1; then setsid sh -c "$1" <&- & else sh -c "$1" <&- & fi
pid=$!
( cat <&3 >/dev/null; kill -TERM -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; sleep 2; kill -KILL -"$pid" 2>/dev/null ) >/dev/null 2>&1 &
watcher=$!
wait "$pid"; code=$?
kill "$watcher" 2>/dev/null
exit "$code"
`;

export function wrapExec(command: string): string {
  return ['sh', '-c', shellQuote(EXEC_WRAPPER), 'promanager-exec', shellQuote(command)].join(' ');
}

/**
 * Puts a file on the host once: if the destination already has the expected sha256 nothing is sent; otherwise the
 * bytes follow on stdin, are checked, and only then renamed into place.
 */
export const UPLOAD_SCRIPT = `
set -u
dest=$1; want=$2; size=$3
if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$want" ]; then echo PM_HAVE; exit 0; fi
mkdir -p "$(dirname "$dest")" || exit 90
echo PM_SEND
tmp="$dest.$$.part"
head -c "$size" > "$tmp"
sum=$(sha256sum "$tmp" | cut -d' ' -f1)
if [ "$sum" != "$want" ]; then rm -f "$tmp"; echo "PM_ERROR checksum $sum"; exit 93; fi
chmod 0644 "$tmp" && mv -f "$tmp" "$dest" && echo PM_DONE
`;

export function uploadCommand(dest: string, sha256: string, bytes: number): string {
  return ['sh', '-c', shellQuote(UPLOAD_SCRIPT), 'promanager-upload', shellQuote(dest), sha256, String(bytes)].join(' ');
}
