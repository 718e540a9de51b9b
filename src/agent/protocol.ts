// The JSON-lines protocol between the controller and the agent on a host. One JSON object a line on the
// agent's stdin (requests) and stdout (events, results, errors). Shared by both sides; types and constants only.

export const AGENT_PROTOCOL = 1;

export interface AgentRequest {
  id: number;
  method: string;
  params?: unknown;
}

/** Streamed while a request runs, e.g. output of a command. */
export interface AgentEvent {
  id: number;
  event: string;
  data: unknown;
}

export interface AgentResult {
  id: number;
  result: unknown;
}

export interface AgentErrorReply {
  id: number;
  error: { code: AgentErrorCode; message: string; detail?: unknown };
}

export type AgentMessage = AgentEvent | AgentResult | AgentErrorReply;

export type AgentErrorCode =
  | 'bad_request' // malformed line or params
  | 'unknown_method'
  | 'not_found' // a path or process that does not exist
  | 'permission' // EACCES / EPERM on the host
  | 'timeout'
  | 'checksum' // data arrived but did not match its sha256
  | 'failed'; // the operation ran and failed

export interface HelloResult {
  protocol: number;
  agent_sha256: string;
  pid: number;
  node: string;
  uid: number;
  user: string;
  hostname: string;
}

export interface Facts {
  hostname: string;
  cpu: number;
  /** memory in use, percent with one decimal, e.g. "41.3%" */
  mem: string;
  mem_total_bytes: number;
  /** root filesystem use, percent, e.g. "63.0%" */
  root: string;
  root_free_bytes: number;
  os: string;
  kernel: string;
  arch: string;
  uptime_seconds: number;
  /** the host's clock, ms since the epoch, for skew checks */
  time_ms: number;
  has_systemd: boolean;
  /** the connecting user's uid and home, where non-root installs go */
  uid: number;
  home: string;
}

export interface ExecParams {
  /** run with /bin/sh -c when a string, directly when an array */
  command: string | string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  timeout_ms?: number;
  /** stream stdout/stderr as events instead of collecting */
  stream?: boolean;
  /** cap on collected output per stream, bytes */
  max_output?: number;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  timed_out: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
  duration_ms: number;
}

export interface WriteFileParams {
  path: string;
  /** base64 */
  content: string;
  mode?: number;
  sha256?: string;
  /** replace atomically (write beside, fsync, rename) */
  atomic?: boolean;
  mkdir?: boolean;
}
