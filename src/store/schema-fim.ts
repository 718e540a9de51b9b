// File integrity monitoring tables. Baselines themselves live in files beside the database (bulky);
// the database keeps their hash so nothing on disk is trusted without checking.
import { z } from 'zod';

const id = z.number().int().positive();
const stamps = { create_at: z.string(), update_at: z.string() };

export const fimPolicySchema = z.object({
  id,
  policy_name: z.string().min(1),
  /** null: every cluster the creator could act on at creation */
  cluster_id: id.nullable(),
  selector: z.string().nullable(),
  paths: z.array(z.string()),
  excludes: z.array(z.string()),
  max_depth: z.number().int().nonnegative().nullable(),
  attributes: z.array(z.string()),
  follow_symlinks: z.boolean(),
  max_files: z.number().int().positive(),
  max_bytes: z.number().int().positive(),
  schedule: z.string().nullable(),
  create_user: id.nullable(),
  ...stamps,
});

export const fimBaselineSchema = z.object({
  id,
  policy_id: id,
  host_id: id,
  /** file name under $PROMANAGER_HOME/fim/ */
  file: z.string(),
  sha256: z.string(),
  entries: z.number().int().nonnegative(),
  ...stamps,
});

export type FimPolicy = z.infer<typeof fimPolicySchema>;
export type FimBaseline = z.infer<typeof fimBaselineSchema>;
