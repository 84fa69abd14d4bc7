import { GraphQLError } from 'graphql';

/**
 * 401 for every token problem alike (missing, expired, forged, wrong issuer or audience,
 * malformed claims): the reason stays on the server, a caller learns only that it must
 * present a valid token. Yoga turns `extensions.http` into the status and header.
 */
export function unauthenticated(reason: 'missing' | 'invalid'): GraphQLError {
  const message =
    reason === 'missing'
      ? 'authentication required: send an Authorization: Bearer <token> header'
      : 'invalid or expired token';
  const challenge = reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"';
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: { 'WWW-Authenticate': challenge } },
    },
  });
}

/** An authenticated caller asking for something its role or tenants do not allow. */
export function forbidden(message: string, field?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'FORBIDDEN', ...(field === undefined ? {} : { field }) },
  });
}
