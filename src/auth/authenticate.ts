import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { type AuthConfig, ConfigError } from '../config.js';
import { unauthenticated } from './errors.js';
import { OPEN_MODE_VIEWER, ROLES, type Viewer } from './viewer.js';

/** The viewer of a request; throws the 401 GraphQLError of `unauthenticated` for a bad or missing token. */
export type Authenticate = (request: Request) => Promise<Viewer>;

/** HS256 only for the shared secret; asymmetric algorithms only for keys of the key set (no alg confusion). */
const SECRET_ALGORITHMS = ['HS256'];
const KEY_SET_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** Issuers' and gateways' clocks drift a little; a token is honoured this long around exp/nbf. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * jose failures that are the token's fault (401). Anything else, such as an unreachable or
 * invalid key set, is the server's problem and stays a masked internal error.
 */
const TOKEN_ERROR_CODES = new Set([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
]);

/**
 * 'open' without AUTH_JWT_SECRET or AUTH_JWKS_URL: every request is the open-mode viewer (all
 * tenants, admin). Production refuses that (a ConfigError) unless AUTH_OPEN_MODE=true says it
 * is meant.
 */
export function authMode(auth: AuthConfig, { production }: { production: boolean }): 'open' | 'token' {
  if (auth.jwtSecret !== undefined || auth.jwksUrl !== undefined) return 'token';
  if (production && !auth.openMode) {
    throw new ConfigError(
      'NODE_ENV=production needs AUTH_JWT_SECRET or AUTH_JWKS_URL (or AUTH_OPEN_MODE=true to serve without auth)',
    );
  }
  return 'open';
}

/**
 * Builds the request authenticator once per gateway (see authMode for open mode). With both
 * a secret and a key set, HS256 tokens are checked with the secret and asymmetric ones
 * against the key set.
 */
export function createAuthenticator(auth: AuthConfig, environment: { production: boolean }): Authenticate {
  if (authMode(auth, environment) === 'open') return async () => OPEN_MODE_VIEWER;
  const secret = auth.jwtSecret === undefined ? undefined : new TextEncoder().encode(auth.jwtSecret);
  const keySet = auth.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(auth.jwksUrl));
  const key: JWTVerifyGetKey = (header, token) => {
    const found = header.alg === 'HS256' ? secret : keySet;
    // jose refuses an algorithm outside `algorithms` before it asks for a key, so the source
    // is configured here; the throw only states that invariant.
    if (!found) throw new errors.JOSEAlgNotAllowed('no key for this algorithm');
    return found instanceof Uint8Array ? found : found(header, token);
  };
  const options = {
    algorithms: [...(secret ? SECRET_ALGORITHMS : []), ...(keySet ? KEY_SET_ALGORITHMS : [])],
    issuer: auth.issuer,
    audience: auth.audience,
    requiredClaims: ['exp'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
  return async (request) => {
    const token = bearerToken(request.headers.get('authorization'));
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, options));
    } catch (error) {
      if (error instanceof errors.JOSEError && TOKEN_ERROR_CODES.has(error.code)) {
        throw unauthenticated('invalid');
      }
      throw error;
    }
    return viewerFromClaims(payload);
  };
}

function bearerToken(header: string | null): string {
  if (header === null || header.trim() === '') throw unauthenticated('missing');
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
  if (!match?.[1]) throw unauthenticated('invalid');
  return match[1];
}

/** `tenants`: a non-empty array of non-empty strings; `role`: one of ROLES; `sub` a string when present. */
function viewerFromClaims({ sub, tenants, role }: JWTPayload): Viewer {
  const knownRole = ROLES.find((candidate) => candidate === role);
  const tenantList =
    Array.isArray(tenants) &&
    tenants.length > 0 &&
    tenants.every((tenant) => typeof tenant === 'string' && tenant !== '')
      ? (tenants as string[])
      : undefined;
  if (!knownRole || !tenantList || (sub !== undefined && typeof sub !== 'string')) {
    throw unauthenticated('invalid');
  }
  return Object.freeze({
    subject: sub ?? null,
    tenantIds: Object.freeze([...new Set(tenantList)]),
    role: knownRole,
  });
}
