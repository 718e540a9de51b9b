import { describe, expect, it } from 'vitest';
import { allows, clustersAllowed, roleIn, type Grant } from '../../src/core/rbac.js';

describe('role rules', () => {
  const biz: Grant[] = [{ role: 'bizadmin', clusterId: 1 }, { role: 'user', clusterId: 2 }];
  it('gives a sysadmin everything', () => {
    const sys: Grant[] = [{ role: 'sysadmin', clusterId: null }];
    for (const p of ['admin', 'operate', 'read'] as const) expect(allows(sys, p, 7)).toBe(true);
    expect(clustersAllowed(sys, 'operate')).toBe('all');
  });
  it('scopes bizadmin and user to their clusters', () => {
    expect(allows(biz, 'operate', 1)).toBe(true);
    expect(allows(biz, 'operate', 2)).toBe(false);
    expect(allows(biz, 'read', 2)).toBe(true);
    expect(allows(biz, 'read', 3)).toBe(false);
    expect(allows(biz, 'admin', 1)).toBe(false);
    expect(roleIn(biz, 1)).toBe('bizadmin');
    expect(clustersAllowed(biz, 'operate')).toEqual(new Set([1]));
    expect(clustersAllowed(biz, 'read')).toEqual(new Set([1, 2]));
  });
  it('treats a grant without a cluster as every cluster', () => {
    const g: Grant[] = [{ role: 'user', clusterId: null }];
    expect(allows(g, 'read', 42)).toBe(true);
    expect(allows(g, 'operate', 42)).toBe(false);
    expect(clustersAllowed(g, 'read')).toBe('all');
  });
  it('denies everything to no grants', () => {
    expect(allows([], 'read', null)).toBe(false);
    expect(clustersAllowed([], 'read')).toEqual(new Set());
  });
});
