// The state database's shape. Every table and field of the product's data model is here, plus the tables the
// features need. Validated on every load so a hand-edited or truncated file is caught before anything uses it.
import { z } from 'zod';
import { fimBaselineSchema, fimPolicySchema } from './schema-fim.js';
import { jobRunSchema, jobSchema } from './schema-jobs.js';

export const SCHEMA_VERSION = 1;

const id = z.number().int().positive();
const timestamp = z.string().min(1);
const stamps = { create_at: timestamp, update_at: timestamp };
const vars = z.record(z.unknown());

export const sshSettingsSchema = z
  .object({
    user: z.string().optional(),
    port: z.number().int().min(1).max(65535).optional(),
    key: z.string().optional(),
    become: z.boolean().optional(),
  })
  .strict();

export const userSchema = z.object({
  id,
  user_name: z.string().min(1),
  phone: z.string().nullable(),
  description: z.string(),
  ...stamps,
});

export const clusterSchema = z.object({
  id,
  cluster_name: z.string().min(1),
  description: z.string(),
  create_user: id.nullable(),
  vars,
  ssh: sshSettingsSchema,
  ...stamps,
});

export const roleSchema = z.object({ id, role_name: z.string().min(1), description: z.string(), ...stamps });

/** A user's role in one cluster; cluster_id null means every cluster. */
export const roleBindingSchema = z.object({ id, role_id: id, user_id: id, cluster_id: id.nullable(), ...stamps });

/** A label key defined in a cluster (the note's Label table); values live on host_labels. */
export const labelSchema = z.object({ id, label_name: z.string().min(1), cluster_id: id, create_user: id.nullable(), ...stamps });

export const hostLabelSchema = z.object({ id, host_id: id, label_id: id, label_value: z.string(), ...stamps });

export const componentSchema = z.object({
  id,
  component_name: z.string().min(1),
  description: z.string(),
  version: z.string().min(1),
  ...stamps,
});

export const hostStatusSchema = z.enum(['unknown', 'up', 'down', 'unreachable']);

export const hostSchema = z.object({
  id,
  cluster_id: id,
  ip: z.string().min(1),
  /** The inventory name users target the host by. */
  name: z.string().min(1),
  /** Facts gathered by `host refresh`; null until then. */
  hostname: z.string().nullable(),
  cpu: z.number().int().nonnegative().nullable(),
  mem: z.string().nullable(),
  root: z.string().nullable(),
  os: z.string().nullable(),
  status: hostStatusSchema,
  ssh: sshSettingsSchema,
  vars,
  ...stamps,
});

export const serviceSchema = z.object({
  id,
  host_id: id,
  component_id: id,
  status: z.string(),
  version: z.string(),
  previous_version: z.string().nullable(),
  listen_address: z.string(),
  ...stamps,
});

/** The hosts that failed the last run of each command, for `--limit @failed`. */
export const lastRunSchema = z.object({ command: z.string(), at: timestamp, failed: z.array(z.string()) });

export const pinnedHostKeySchema = z.object({
  id,
  /** `ip` or `[ip]:port`, as in known_hosts */
  host: z.string(),
  key_type: z.string(),
  key: z.string(),
  fingerprint: z.string(),
  create_user: id.nullable(),
  ...stamps,
});

export const stateSchema = z
  .object({
    schema_version: z.number().int().positive(),
    defaults: z.object({ ssh: sshSettingsSchema, vars }),
    users: z.array(userSchema),
    clusters: z.array(clusterSchema),
    roles: z.array(roleSchema),
    role_user_cluster: z.array(roleBindingSchema),
    labels: z.array(labelSchema),
    host_labels: z.array(hostLabelSchema),
    components: z.array(componentSchema),
    hosts: z.array(hostSchema),
    services: z.array(serviceSchema),
    last_runs: z.array(lastRunSchema),
    host_keys: z.array(pinnedHostKeySchema),
    // Tables added after the first release default to empty so older files still load.
    fim_policies: z.array(fimPolicySchema).default([]),
    fim_baselines: z.array(fimBaselineSchema).default([]),
    jobs: z.array(jobSchema).default([]),
    job_runs: z.array(jobRunSchema).default([]),
  })
  .strict();

export type State = z.infer<typeof stateSchema>;
export type { FimPolicy, FimBaseline } from './schema-fim.js';
export type { Job, JobRun } from './schema-jobs.js';
export type User = z.infer<typeof userSchema>;
export type Cluster = z.infer<typeof clusterSchema>;
export type Role = z.infer<typeof roleSchema>;
export type RoleBinding = z.infer<typeof roleBindingSchema>;
export type Label = z.infer<typeof labelSchema>;
export type HostLabel = z.infer<typeof hostLabelSchema>;
export type Component = z.infer<typeof componentSchema>;
export type Host = z.infer<typeof hostSchema>;
export type Service = z.infer<typeof serviceSchema>;
export type PinnedHostKey = z.infer<typeof pinnedHostKeySchema>;
export type SshSettings = z.infer<typeof sshSettingsSchema>;

export type RoleName = 'sysadmin' | 'bizadmin' | 'user';
export const ROLE_DESCRIPTIONS: Record<RoleName, string> = {
  sysadmin: 'system administrator: every command in every cluster, including users, roles, clusters, components',
  bizadmin: 'business administrator: everything operational in the clusters granted',
  user: 'normal user: read only in the clusters granted',
};

export function emptyState(now: string): State {
  let roleId = 0;
  return {
    schema_version: SCHEMA_VERSION,
    defaults: { ssh: {}, vars: {} },
    users: [],
    clusters: [],
    roles: (Object.keys(ROLE_DESCRIPTIONS) as RoleName[]).map((role_name) => ({
      id: ++roleId,
      role_name,
      description: ROLE_DESCRIPTIONS[role_name],
      create_at: now,
      update_at: now,
    })),
    role_user_cluster: [],
    labels: [],
    host_labels: [],
    components: [],
    hosts: [],
    services: [],
    last_runs: [],
    host_keys: [],
    fim_policies: [],
    fim_baselines: [],
    jobs: [],
    job_runs: [],
  };
}
