import { InputError } from '../ingest/input-error.js';
import { forbidden } from './errors.js';
import type { Viewer } from './viewer.js';

/**
 * The tenant a campaign written by `viewer` belongs to. A token may write only to its own
 * tenants: `requested` must be one of them; left out, it is the token's only tenant, and a
 * token of several tenants must name one. Open mode writes where asked (undefined: the
 * column default on insert, the stored tenant on update).
 */
export function tenantForWrite(viewer: Viewer, requested: string | undefined): string | undefined {
  const own = viewer.tenantIds;
  if (own === null) return requested;
  if (requested === undefined) {
    const [only, ...others] = own;
    if (only === undefined || others.length > 0) {
      throw new InputError('input.tenantId is required: the token names several tenants', 'input.tenantId');
    }
    return only;
  }
  if (!own.includes(requested)) {
    throw forbidden('input.tenantId is not one of the tenants of the token', 'input.tenantId');
  }
  return requested;
}
