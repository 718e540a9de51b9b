// File integrity monitoring tables. Bulky data lives in files beside the database under $PROMANAGER_HOME/fim/
// (baselines, the drift the last check found, the append-only event journals); each row here records the
// hashes that make those files trustworthy, so a file edited behind promanager's back is refused, not used.
import { z } from 'zod';
import { FIM_ATTRIBUTES } from '../agent/fim-entry.js';

const id = z.number().int().positive();
const count = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const stamps = { create_at: z.string(), update_at: z.string() };

/** Lower case so it can name a directory on hosts and a cron entry (`fim-<name>`) as it is. */
export const FIM_POLICY_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export const fimPolicySchema = z.object({
  id,
  policy_name: z.string().regex(FIM_POLICY_NAME),
  /** null: every cluster (only a sysadmin may create such a policy) */
  cluster_id: id.nullable(),
  /** label selector the hosts must match; null: every host of the cluster(s) */
  selector: z.string().nullable(),
  paths: z.array(z.string().startsWith('/')).min(1),
  excludes: z.array(z.string()),
  /** 0: the paths themselves only; null: no limit */
  max_depth: count.nullable(),
  attributes: z.array(z.enum(FIM_ATTRIBUTES)),
  follow_symlinks: z.boolean(),
  /** per host: a scan with more paths or more bytes of files stops with "limit reached" */
  max_files: z.number().int().positive(),
  max_bytes: z.number().int().positive(),
  create_user: id.nullable(),
  ...stamps,
});

/** One host's baseline for one policy, and everything FIM keeps about that pair. */
export const fimBaselineSchema = z.object({
  id,
  policy_id: id,
  host_id: id,
  /** file name under fim/baselines/: gzip-compressed JSON lines in path order */
  file: z.string(),
  sha256,
  entries: count,
  /** compressed size of the file */
  bytes: count,
  /** bytes of the regular files the baseline covers */
  content_bytes: count,
  baseline_at: z.string(),
  baseline_user: id.nullable(),
  /** file name under fim/drift/: what the latest check found different, with the current entries */
  drift_file: z.string().nullable(),
  drift_sha256: sha256.nullable(),
  drift_count: count,
  last_check_at: z.string().nullable(),
  /** file name under fim/events/: append-only journal, each line carrying the sha256 of the one before */
  events_file: z.string(),
  events_count: count,
  events_bytes: count,
  /** sha256 of the last journal line ('' while empty): a removed or edited tail shows */
  events_last_sha256: z.string(),
  /** the baseline copy the host holds, as far as we know (null: none) */
  host_sha256: sha256.nullable(),
  /** cron expression of the scheduled check installed on the host, null when none */
  schedule: z.string().nullable(),
  /** bytes of the host's scheduled-check journal already pulled into the events */
  journal_offset: count,
  ...stamps,
});

export type FimPolicy = z.infer<typeof fimPolicySchema>;
export type FimBaseline = z.infer<typeof fimBaselineSchema>;
