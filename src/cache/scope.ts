import type { Viewer } from '../auth/viewer.js';

/**
 * The part of a response cache key that says who may see the answer: the caller's tenants
 * (sorted, without repeats) and role. Callers with the same scope see the same data and
 * share answers; any other tenant set or role never gets them. The subject is left out on
 * purpose: two users of one tenant and role share. Open mode (every tenant) is one scope.
 */
export function cacheScope(viewer: Viewer): string {
  const tenants = viewer.tenantIds === null ? null : [...new Set(viewer.tenantIds)].sort();
  // JSON keeps tenant ids containing separators apart ("a,b" vs "a" and "b").
  return JSON.stringify({ role: viewer.role, tenants });
}
