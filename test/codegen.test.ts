import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchCampaignOverview, formatOverview, GraphQLRequestError } from '../client/example.js';
import config from '../codegen.js';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

/**
 * client/generated/ is committed: web apps and client/example.ts import it. Generate again with
 * the same config, in memory, and compare (run `npm run codegen` after changing the schema or
 * documents/).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const outputFolder = resolve(root, 'client/generated');

describe('client codegen', () => {
  it('client/generated/ is what `npm run codegen` writes', { timeout: 60_000 }, async () => {
    const outputs: { filename: string; content: string }[] = await generate(
      { ...config, cwd: root, silent: true },
      false,
    );
    const generated = new Map(
      outputs.map((output) => [relative(root, resolve(root, output.filename)), output.content]),
    );
    const committed = new Map(
      readdirSync(outputFolder).map((name) => [
        `client/generated/${name}`,
        readFileSync(resolve(outputFolder, name), 'utf8'),
      ]),
    );
    expect([...committed.keys()].sort()).toEqual([...generated.keys()].sort());
    for (const [name, content] of generated) {
      expect(committed.get(name), `${name} is stale: run npm run codegen`).toBe(content);
    }
  });

  it('lists one persisted document per dashboard operation, keyed by its sha256', () => {
    const persisted = JSON.parse(
      readFileSync(resolve(outputFolder, 'persisted-documents.json'), 'utf8'),
    ) as Record<string, string>;
    const operations = readdirSync(resolve(root, 'documents'))
      .filter((name) => name.endsWith('.graphql'))
      .map(
        (name) =>
          /(?:query|subscription) (\w+)/.exec(readFileSync(resolve(root, 'documents', name), 'utf8'))?.[1],
      );
    const entries = Object.entries(persisted);
    expect(entries.map(([, document]) => /(?:query|subscription) (\w+)/.exec(document)?.[1]).sort()).toEqual(
      [...operations].sort(),
    );
    for (const [key, document] of entries) {
      expect(key).toBe(`sha256:${createHash('sha256').update(document).digest('hex')}`);
    }
  });
});

describe('client/example.ts against the gateway', () => {
  let db: TestDatabase;
  let id: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const data = await executeOk(db.gateway, UPSERT_CAMPAIGN, { input: { name: 'Typed', status: 'ACTIVE' } });
    id = data.upsertCampaign.id;
    await executeOk(db.gateway, RECORD_SNAPSHOTS, {
      input: [
        snapshotInput(id, { at: '2026-05-01T00:00:00Z', volunteers: [10, 40], spent: '100.00' }),
        // the latest: volunteers 30/40, beneficiaries 50/100, sessions 10/40, budget 900/1000
        snapshotInput(id, { at: '2026-05-02T12:00:00Z', volunteers: [30, 40], spent: '900.00' }),
      ],
    });
  });
  afterAll(() => db?.close());

  const options = () => ({ endpoint: 'http://gateway.test/graphql', fetch: db.gateway.fetch });

  it('fetches the typed overview of a campaign', async () => {
    const overview = await fetchCampaignOverview(id, { ...options(), threshold: 0.7 });
    expect(overview).toEqual({
      id,
      name: 'Typed',
      latestSnapshot: {
        snapshotDate: '2026-05-02T12:00:00.000Z',
        volunteers: { current: 30, target: 40, utilization: 0.75 },
        beneficiaries: { current: 50, target: 100, utilization: 0.5 },
        sessions: { current: 10, target: 40, utilization: 0.25 },
        budget: { utilization: 0.9 },
      },
      // at 0.7: budget 0.9 and volunteers 0.75, most severe and highest utilization first
      capacityAlerts: [
        { resource: 'BUDGET', utilization: 0.9, severity: 'WARNING', message: expect.any(String) },
        { resource: 'VOLUNTEERS', utilization: 0.75, severity: 'WARNING', message: expect.any(String) },
      ],
    });
    if (!overview) throw new Error('no overview');
    expect(formatOverview(overview).split('\n').slice(0, 2)).toEqual([
      'Typed (2026-05-02T12:00:00.000Z)',
      '  volunteers    30/40 75.0 %',
    ]);
  });

  it('gives null for no such campaign and typed errors for a bad id', async () => {
    expect(await fetchCampaignOverview('00000000-0000-4000-8000-000000000000', options())).toBeNull();
    const error = await fetchCampaignOverview('nope', options()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphQLRequestError);
    expect((error as GraphQLRequestError).errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
