import type { GraphQLError } from 'graphql';
import { forbidden } from './errors.js';
import { hasRole, type Role, type Viewer } from './viewer.js';

/** Pothos scope-auth scopes: `authScopes: { role: 'ingest' }` = the ingest role or a higher one. */
export interface AuthScopes {
  role: Role;
}

export function viewerScopes(viewer: Viewer) {
  return { role: (needed: Role) => hasRole(viewer, needed) };
}

/** FORBIDDEN naming the field and the caller's role (the caller knows its own role). */
export function roleForbidden(viewer: Viewer, fieldName: string): GraphQLError {
  return forbidden(`role ${viewer.role} may not use ${fieldName}`);
}
