import { GraphQLError } from 'graphql';
import { maskError, type YogaMaskedErrorOpts } from 'graphql-yoga';
import { rememberMaskedError } from '../observability/masked-errors.js';

/** PostgreSQL's query_canceled: statement_timeout (or a cancel request) stopped the statement. */
const QUERY_CANCELED = '57014';

/** Whether a PostgreSQL error with this SQLSTATE is in the error's cause chain (drizzle wraps driver errors). */
function hasSqlState(error: unknown, code: string): boolean {
  for (let current = error, hops = 0; current instanceof Error && hops < 10; hops++) {
    if ((current as { code?: unknown }).code === code) return true;
    current =
      current instanceof GraphQLError && current.originalError ? current.originalError : current.cause;
  }
  return false;
}

/**
 * What callers see of failures: GraphQLErrors raised on purpose keep their message and code;
 * a statement stopped by statement_timeout becomes STATEMENT_TIMEOUT; anything else is
 * "Unexpected error." with INTERNAL_SERVER_ERROR. Never the SQL, a stack or a file path, even
 * with NODE_ENV=development (Yoga's default would add the original error there). The original
 * is remembered for the request's log line (observability/masked-errors.ts).
 */
export const errorMasking: Partial<YogaMaskedErrorOpts> = {
  maskError: (error, message) => {
    const masked = maskedForCallers(error, message);
    if (masked !== error) rememberMaskedError(masked, error);
    return masked;
  },
};

function maskedForCallers(error: unknown, message: string): Error {
  if (hasSqlState(error, QUERY_CANCELED)) {
    const located = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError('The query took longer than the statement timeout allows; ask for less data.', {
      nodes: located?.nodes,
      path: located?.path,
      extensions: { code: 'STATEMENT_TIMEOUT' },
    });
  }
  return maskError(error, message, false);
}
