import { GraphQLError } from 'graphql';

/** The stable codes a rejected request carries in `extensions.code`. */
export type LimitCode =
  | 'MAX_DEPTH_EXCEEDED'
  | 'MAX_ALIASES_EXCEEDED'
  | 'MAX_TOKENS_EXCEEDED'
  | 'MAX_DIRECTIVES_EXCEEDED'
  | 'COST_LIMIT_EXCEEDED'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'PERSISTED_QUERY_ONLY'
  | 'PERSISTED_QUERY_NOT_FOUND';

export interface LimitHttp {
  status: number;
  headers?: Record<string, string>;
  /**
   * A GraphQL-over-HTTP request error: 4xx for application/graphql-response+json, but 200 for
   * legacy application/json clients, as the spec asks (Yoga reads this flag).
   */
  spec?: boolean;
}

/** A rejection raised before any resolver runs; Yoga turns `http` into the response status and headers. */
export function limitError(code: LimitCode, message: string, http: LimitHttp): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http } });
}
