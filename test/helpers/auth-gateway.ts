import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JWTPayload, SignJWT } from 'jose';
import type { AuthConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { createQuietGateway } from './test-database.js';

export const TEST_SECRET = 'test-secret-for-hs256-tokens-0123456789';
export const TEST_ISSUER = 'https://issuer.test/';
export const TEST_AUDIENCE = 'campaign-metrics-gateway';

export const HS256_AUTH: AuthConfig = {
  jwtSecret: TEST_SECRET,
  jwksUrl: undefined,
  issuer: TEST_ISSUER,
  audience: TEST_AUDIENCE,
  openMode: false,
};

export interface TokenOptions {
  secret?: string;
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative = already expired. */
  expiresIn?: number;
}

/** An HS256 token with these claims, valid for the test gateway unless options say otherwise. */
export function hs256Token(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const { secret = TEST_SECRET, issuer = TEST_ISSUER, audience = TEST_AUDIENCE, expiresIn = 600 } = options;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
    .sign(new TextEncoder().encode(secret));
}

export interface HttpResult {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
  body: { data?: any; errors?: { message: string; path?: unknown[]; extensions?: Record<string, any> }[] };
}

export interface HttpGateway {
  url: string;
  /** POSTs a GraphQL request with `Authorization: <authorization>` when given. */
  post(query: string, variables?: Record<string, unknown>, authorization?: string): Promise<HttpResult>;
  /** Like post with a bearer token, failing the test on any GraphQL error. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
  ok(token: string, query: string, variables?: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

/** The gateway with these auth settings, listening on a free localhost port. */
export async function listenWithAuth(db: Database, auth: AuthConfig): Promise<HttpGateway> {
  const gateway = createQuietGateway({ db, webRoot: false, settings: { auth } });
  const server: Server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const post: HttpGateway['post'] = async (query, variables = {}, authorization) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  return {
    url,
    post,
    ok: async (token, query, variables) => {
      const { status, body } = await post(query, variables, `Bearer ${token}`);
      if (status !== 200 || body.errors?.length) {
        throw new Error(`HTTP ${status}: ${JSON.stringify(body.errors ?? body, null, 2)}`);
      }
      return body.data;
    },
    close: async () => {
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      await gateway.dispose();
    },
  };
}
