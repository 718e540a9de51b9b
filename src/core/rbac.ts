// Who may do what, from cli.md's role table. Pure: given the bindings, answer yes or no and say which role
// would be needed, so a denial can tell the user exactly what to ask for.
import type { RoleName } from '../store/schema.js';

/** What a command needs: `admin` (sysadmin only), `operate` (bizadmin of the cluster), `read` (any role there). */
export type Permission = 'admin' | 'operate' | 'read';

export interface Grant {
  role: RoleName;
  /** null: every cluster */
  clusterId: number | null;
}

const RANK: Record<RoleName, number> = { user: 1, bizadmin: 2, sysadmin: 3 };
const NEEDED: Record<Permission, RoleName> = { read: 'user', operate: 'bizadmin', admin: 'sysadmin' };

export function neededRole(permission: Permission): RoleName {
  return NEEDED[permission];
}

export function isSysadmin(grants: Grant[]): boolean {
  return grants.some((g) => g.role === 'sysadmin');
}

/** The strongest role the grants give in one cluster (a global grant counts everywhere). */
export function roleIn(grants: Grant[], clusterId: number): RoleName | null {
  let best: RoleName | null = null;
  for (const g of grants) {
    if (g.role === 'sysadmin' || g.clusterId === null || g.clusterId === clusterId) {
      if (best === null || RANK[g.role] > RANK[best]) best = g.role;
    }
  }
  return best;
}

/**
 * May the grants do `permission` in `clusterId`? A clusterId of null means "not tied to a cluster" (users, roles,
 * components, or a listing across clusters): admin needs sysadmin; operate/read need that role somewhere.
 */
export function allows(grants: Grant[], permission: Permission, clusterId: number | null): boolean {
  if (isSysadmin(grants)) return true;
  if (permission === 'admin') return false;
  const need = RANK[NEEDED[permission]];
  if (clusterId === null) return grants.some((g) => RANK[g.role] >= need);
  const have = roleIn(grants, clusterId);
  return have !== null && RANK[have] >= need;
}

/** The clusters in which the grants allow `permission` ('all' when a global grant covers every cluster). */
export function clustersAllowed(grants: Grant[], permission: Permission): 'all' | Set<number> {
  if (isSysadmin(grants)) return 'all';
  if (permission === 'admin') return new Set();
  const need = RANK[NEEDED[permission]];
  if (grants.some((g) => g.clusterId === null && RANK[g.role] >= need)) return 'all';
  return new Set(grants.filter((g) => g.clusterId !== null && RANK[g.role] >= need).map((g) => g.clusterId as number));
}
