/** Who is asking: what every read and write is scoped by. */
export const ROLES = ['viewer', 'ingest', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Viewer {
  /** The token's `sub`; null in open mode. */
  subject: string | null;
  /** Tenants the caller may read and write; null = every tenant (open mode, no auth configured). */
  tenantIds: readonly string[] | null;
  role: Role;
}

/** The caller when no auth is configured (local use): everything, logged loudly at start. */
export const OPEN_MODE_VIEWER: Viewer = Object.freeze({ subject: null, tenantIds: null, role: 'admin' });

/** Roles are ordered: each may do everything the ones before it may (viewer < ingest < admin). */
export function hasRole(viewer: Viewer, role: Role): boolean {
  return ROLES.indexOf(viewer.role) >= ROLES.indexOf(role);
}

/** Whether the caller may see a campaign of this tenant (open mode sees every tenant). */
export function seesTenant(viewer: Viewer, tenantId: string): boolean {
  return viewer.tenantIds === null || viewer.tenantIds.includes(tenantId);
}
