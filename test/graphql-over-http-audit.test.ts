import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedGateway, serveOverHttp } from './helpers/http-server.js';
import { createQuietGateway, createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/**
 * The GraphQL-over-HTTP audit of graphql-http (the spec's reference implementation), one test
 * per MUST and SHOULD item, against the gateway as `npm start` serves it: real HTTP, default
 * settings, every limit and plugin on, the web dashboard at `/`.
 */
let db: TestDatabase;
let served: ServedGateway | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  served = await serveOverHttp(createQuietGateway({ db: db.handle.db }));
});

afterAll(async () => {
  await served?.close();
  await db?.close();
});

const audits = serverAudits({
  url: () => {
    if (!served) throw new Error('the gateway is not listening');
    return `${served.url}/graphql`;
  },
});
const required = audits.filter((audit) => /^(MUST|SHOULD) /.test(audit.name));

describe('GraphQL over HTTP audit (graphql-http)', () => {
  it('has MUST and SHOULD items to check', () => {
    expect(required.filter((audit) => audit.name.startsWith('MUST ')).length).toBeGreaterThan(10);
    expect(required.filter((audit) => audit.name.startsWith('SHOULD ')).length).toBeGreaterThan(10);
  });

  it.each(required.map((audit) => [audit.name, audit] as const))('%s', async (_name, audit) => {
    const result = await audit.fn();
    const reason = result.status === 'ok' ? '' : `${result.status}: ${result.reason}`;
    expect(reason).toBe('');
  });
});
