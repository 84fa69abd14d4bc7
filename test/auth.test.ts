import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import {
  HS256_AUTH,
  type HttpGateway,
  hs256Token,
  listenWithAuth,
  TEST_AUDIENCE,
  TEST_ISSUER,
} from './helpers/auth-gateway.js';
import { createQuietGateway, createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/**
 * Bearer JWT authentication and roles, over HTTP against a listening gateway: every bad
 * token is the same 401, every role gets exactly its mutations.
 */

let db: TestDatabase;
let http: HttpGateway;

const CAMPAIGNS = '{ campaigns { totalCount } }';
const UPSERT = `mutation($input: CampaignInput!) { upsertCampaign(input: $input) { id } }`;
const RECORD = `mutation($input: [SnapshotInput!]!) { recordSnapshots(input: $input) { recorded } }`;
const RETENTION = 'mutation { runRetention(dryRun: true) { dryRun campaignsProcessed } }';
const SNAPSHOT = {
  snapshotDate: '2026-06-01T00:00:00Z',
  volunteers: { target: 10, current: 5 },
  beneficiaries: { target: 10, current: 5 },
  sessions: { target: 10, current: 5 },
  budget: { allocated: '100.00', spent: '10.00' },
};

const claims = (role: string, tenants: unknown = ['acme']): JWTPayload => ({
  sub: `${role}-user`,
  tenants,
  role,
});
const bearer = async (payload: JWTPayload) => `Bearer ${await hs256Token(payload)}`;

beforeAll(async () => {
  db = await createTestDatabase();
  http = await listenWithAuth(db.handle.db, HS256_AUTH);
});
afterAll(async () => {
  await http?.close();
  await db?.close();
});

describe('rejected tokens', () => {
  const invalid = { message: 'invalid or expired token', extensions: { code: 'UNAUTHENTICATED' } };

  async function expectInvalid(authorization: string) {
    const { status, headers, body } = await http.post(CAMPAIGNS, {}, authorization);
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([invalid]);
  }

  it('no token: 401 UNAUTHENTICATED with a Bearer challenge', async () => {
    const { status, headers, body } = await http.post(CAMPAIGNS);
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer');
    expect(body.errors).toEqual([
      {
        message: 'authentication required: send an Authorization: Bearer <token> header',
        extensions: { code: 'UNAUTHENTICATED' },
      },
    ]);
  });

  it('a valid token passes (the baseline the rejections differ from)', async () => {
    const { status, body } = await http.post(CAMPAIGNS, {}, await bearer(claims('viewer')));
    expect(status).toBe(200);
    expect(body).toEqual({ data: { campaigns: { totalCount: 0 } } });
  });

  it('expired, forged, wrong issuer, wrong audience: the same 401', async () => {
    // 60 s past exp is beyond the 30 s clock tolerance.
    await expectInvalid(`Bearer ${await hs256Token(claims('viewer'), { expiresIn: -60 })}`);
    await expectInvalid(
      `Bearer ${await hs256Token(claims('viewer'), { secret: 'another-secret-of-the-same-length-0123' })}`,
    );
    await expectInvalid(
      `Bearer ${await hs256Token(claims('viewer'), { issuer: 'https://other-issuer.test/' })}`,
    );
    await expectInvalid(`Bearer ${await hs256Token(claims('viewer'), { audience: 'another-api' })}`);
  });

  it('a token without exp, an unsigned token and a token that is no JWT', async () => {
    const noExp = await new SignJWT(claims('viewer'))
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .sign(new TextEncoder().encode(HS256_AUTH.jwtSecret));
    await expectInvalid(`Bearer ${noExp}`);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const unsigned = `${encode({ alg: 'none' })}.${encode({ ...claims('admin'), iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp })}.`;
    await expectInvalid(`Bearer ${unsigned}`);
    await expectInvalid('Bearer not-a-jwt');
    await expectInvalid(`Basic ${Buffer.from('user:password').toString('base64')}`);
  });

  it('malformed claims: tenants not a list of strings or empty, an unknown or missing role, a numeric sub', async () => {
    for (const payload of [
      claims('viewer', 'acme'),
      claims('viewer', ['acme', 7]),
      claims('viewer', []),
      claims('viewer', ['']),
      claims('superuser'),
      { sub: 'no-role', tenants: ['acme'] },
      // a numeric sub, which JWTPayload's type would not let this test write
      JSON.parse('{ "tenants": ["acme"], "role": "viewer", "sub": 42 }'),
    ]) {
      await expectInvalid(await bearer(payload));
    }
  });
});

describe('roles', () => {
  it('viewer reads but may not upsertCampaign or recordSnapshots', async () => {
    const viewer = await bearer(claims('viewer'));
    const upsert = await http.post(UPSERT, { input: { name: 'Nope', status: 'DRAFT' } }, viewer);
    expect(upsert.status).toBe(200);
    expect(upsert.body).toEqual({
      data: null,
      errors: [
        expect.objectContaining({
          message: 'role viewer may not use upsertCampaign',
          extensions: { code: 'FORBIDDEN' },
        }),
      ],
    });
    const ingest = await bearer(claims('ingest'));
    const { upsertCampaign } = await http.ok(ingest.slice('Bearer '.length), UPSERT, {
      input: { name: 'Acme campaign', status: 'ACTIVE' },
    });
    const record = await http.post(
      RECORD,
      { input: [{ ...SNAPSHOT, campaignId: upsertCampaign.id }] },
      viewer,
    );
    expect(record.body.errors?.[0]).toMatchObject({
      message: 'role viewer may not use recordSnapshots',
      extensions: { code: 'FORBIDDEN' },
    });
    const stored = `query($id: ID!) { campaign(id: $id) { name snapshots { totalCount } } }`;
    expect(await http.ok(await hs256Token(claims('viewer')), stored, { id: upsertCampaign.id })).toEqual({
      campaign: { name: 'Acme campaign', snapshots: { totalCount: 0 } },
    });
    expect((await http.ok(await hs256Token(claims('viewer')), CAMPAIGNS)).campaigns.totalCount).toBe(1);
  });

  it('ingest writes but may not runRetention; admin may', async () => {
    const ingest = await hs256Token(claims('ingest'));
    const { upsertCampaign } = await http.ok(ingest, UPSERT, {
      input: { name: 'Ingested', status: 'ACTIVE' },
    });
    expect(
      await http.ok(ingest, RECORD, { input: [{ ...SNAPSHOT, campaignId: upsertCampaign.id }] }),
    ).toEqual({ recordSnapshots: { recorded: 1 } });
    const refused = await http.post(RETENTION, {}, `Bearer ${ingest}`);
    expect(refused.body.errors?.[0]).toMatchObject({
      message: 'role ingest may not use runRetention',
      extensions: { code: 'FORBIDDEN' },
    });
    // Both of acme's campaigns (from this test and the one before).
    expect(await http.ok(await hs256Token(claims('admin')), RETENTION)).toEqual({
      runRetention: { dryRun: true, campaignsProcessed: 2 },
    });
  });
});

describe('tenantId of a write', () => {
  const twoTenants = () => hs256Token(claims('ingest', ['north', 'south']));
  const tenantCount = async (tenant: string) =>
    (await http.ok(await hs256Token(claims('viewer', [tenant])), CAMPAIGNS)).campaigns.totalCount;

  it('a token of several tenants must name one of them', async () => {
    const token = await twoTenants();
    const unnamed = await http.post(
      UPSERT,
      { input: { name: 'Where?', status: 'DRAFT' } },
      `Bearer ${token}`,
    );
    expect(unnamed.body.errors?.[0]).toMatchObject({
      message: 'input.tenantId is required: the token names several tenants',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.tenantId' },
    });
    const foreign = await http.post(
      UPSERT,
      { input: { name: 'Elsewhere', status: 'DRAFT', tenantId: 'east' } },
      `Bearer ${token}`,
    );
    expect(foreign.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', field: 'input.tenantId' });
    expect([await tenantCount('north'), await tenantCount('south'), await tenantCount('east')]).toEqual([
      0, 0, 0,
    ]);

    await http.ok(token, UPSERT, { input: { name: 'South one', status: 'DRAFT', tenantId: 'south' } });
    expect([await tenantCount('north'), await tenantCount('south')]).toEqual([0, 1]);
  });

  it('a one-tenant token defaults to its tenant', async () => {
    await http.ok(await hs256Token(claims('ingest', ['west'])), UPSERT, {
      input: { name: 'West', status: 'DRAFT' },
    });
    expect(await tenantCount('west')).toBe(1);
  });
});

describe('JWKS', () => {
  let jwksServer: Server;
  let jwksGateway: HttpGateway;
  let jwksDb: TestDatabase;
  let signingKey: CryptoKey;
  let jwksUrl: string;
  const KID = 'test-key-1';

  const signed = (key: CryptoKey, kid = KID, payload = claims('viewer')) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .setExpirationTime('5m')
      .sign(key);

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    signingKey = privateKey;
    const keys = [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'ES256', use: 'sig' }];
    jwksServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    jwksDb = await createTestDatabase();
    jwksGateway = await listenWithAuth(jwksDb.handle.db, { ...HS256_AUTH, jwtSecret: undefined, jwksUrl });
  });
  afterAll(async () => {
    await jwksGateway?.close();
    await jwksDb?.close();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  it('accepts a token signed by a key of the set', async () => {
    const { status, body } = await jwksGateway.post(CAMPAIGNS, {}, `Bearer ${await signed(signingKey)}`);
    expect({ status, body }).toEqual({ status: 200, body: { data: { campaigns: { totalCount: 0 } } } });
  });

  it('with a secret as well, takes HS256 tokens by the secret and ES256 ones by the key set', async () => {
    const both = await listenWithAuth(jwksDb.handle.db, { ...HS256_AUTH, jwksUrl });
    try {
      for (const token of [await signed(signingKey), await hs256Token(claims('viewer'))]) {
        expect((await both.post(CAMPAIGNS, {}, `Bearer ${token}`)).status).toBe(200);
      }
      const forged = await hs256Token(claims('viewer'), { secret: 'another-secret-of-the-same-length-0123' });
      expect((await both.post(CAMPAIGNS, {}, `Bearer ${forged}`)).status).toBe(401);
    } finally {
      await both.close();
    }
  });

  it('rejects another key under the same kid, an unknown kid, and HS256 (no secret configured)', async () => {
    const { privateKey: impostor } = await generateKeyPair('ES256');
    for (const token of [
      await signed(impostor),
      await signed(signingKey, 'unknown-kid'),
      await hs256Token(claims('viewer')),
    ]) {
      const { status, body } = await jwksGateway.post(CAMPAIGNS, {}, `Bearer ${token}`);
      expect({ status, code: body.errors?.[0]?.extensions?.code }).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
  });

  it('an unreachable key set is the server’s failure (masked 500), not a 401 that would discard the token', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await listenWithAuth(jwksDb.handle.db, {
      ...HS256_AUTH,
      jwtSecret: undefined,
      jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    });
    try {
      const { status, body } = await unreachable.post(CAMPAIGNS, {}, `Bearer ${await signed(signingKey)}`);
      expect({ status, body }).toEqual({
        status: 500,
        body: { errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] },
      });
    } finally {
      await unreachable.close();
    }
  });
});

describe('open mode', () => {
  it('production without auth refuses to build a gateway unless AUTH_OPEN_MODE says so', () => {
    const auth = { ...HS256_AUTH, jwtSecret: undefined };
    expect(() =>
      createQuietGateway({ db: db.handle.db, webRoot: false, settings: { production: true, auth } }),
    ).toThrow(ConfigError);
    expect(() =>
      createQuietGateway({
        db: db.handle.db,
        webRoot: false,
        settings: { production: true, auth: { ...auth, openMode: true } },
      }),
    ).not.toThrow();
  });

  /** Runs the server entry point until it exits, or is stopped once `until` matches its output. */
  async function runServer(env: Record<string, string>, until?: RegExp) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (until?.test(output)) child.kill('SIGKILL');
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    return { exitCode, output };
  }

  /** The server's structured log lines (pino JSON) as { level, msg }. */
  const logLines = (output: string) =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        const { level, msg } = JSON.parse(line) as { level: number; msg: string };
        return { level, msg };
      });

  it('the server refuses to start in production without auth, with one line naming the settings', async () => {
    const { exitCode, output } = await runServer({ NODE_ENV: 'production', PORT: '0' });
    expect(exitCode).toBe(1);
    // pino's fatal level is 60
    expect(logLines(output)).toEqual([
      {
        level: 60,
        msg: 'configuration error: NODE_ENV=production needs AUTH_JWT_SECRET or AUTH_JWKS_URL (or AUTH_OPEN_MODE=true to serve without auth)',
      },
    ]);
  });

  it('the server warns loudly when it starts in open mode', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'auth-open-mode-'));
    try {
      const { output } = await runServer(
        { PORT: '0', DATA_DIR: dataDir, DEMO_DATA: 'false', RETENTION_INTERVAL_MINUTES: '0' },
        /OPEN MODE/,
      );
      // pino's warn level is 40; it is the first thing the server says
      expect(logLines(output)[0]).toEqual({
        level: 40,
        msg: 'OPEN MODE, no AUTH_JWT_SECRET or AUTH_JWKS_URL set: every request may read and write every tenant',
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
