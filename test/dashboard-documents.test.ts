import { readdirSync, readFileSync } from 'node:fs';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';
import { seedDatabase } from '../src/seed/seed-database.js';
import { createTestDatabase, executeOk, type TestDatabase } from './helpers/test-database.js';

/** The shipped dashboard documents (docs/dashboard-queries.md, client codegen) must keep working. */
const folder = new URL('../documents/', import.meta.url);
const documents = readdirSync(folder)
  .filter((name) => name.endsWith('.graphql'))
  .sort()
  .map((name) => ({ name, source: readFileSync(new URL(name, folder), 'utf8') }));
/** Subscriptions answer over SSE; test/subscriptions.test.ts runs them. */
const queries = documents.filter(({ source }) => !/^subscription /m.test(source));

const END = new Date('2026-06-01T00:00:00Z');
const FROM = '2026-04-01T00:00:00Z';
const TO = END.toISOString();

let db: TestDatabase;
let ids: string[];

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDatabase(db.handle.db, { campaigns: 12, days: 90, end: END });
  const data = await executeOk(
    db.gateway,
    '{ campaigns(first: 50, status: [ACTIVE]) { edges { node { id } } } }',
  );
  ids = data.campaigns.edges.map((edge: { node: { id: string } }) => edge.node.id);
}, 120_000);
afterAll(() => db?.close());

function variablesFor(name: string): Record<string, unknown> {
  const [id] = ids;
  return {
    id,
    ids: ids.slice(0, 5),
    cohort: ids.slice(0, 5),
    from: FROM,
    to: TO,
    target: 1000,
    year: 2026,
    ...(name.startsWith('00') ? { first: 5 } : {}),
  };
}

describe('dashboard documents', () => {
  it('ships the twelve dashboard queries, year over year, the page query and live alerts', () => {
    expect(documents.map((d) => d.name.slice(0, 2))).toEqual([
      '00',
      '01',
      '02',
      '03',
      '04',
      '05',
      '06',
      '07',
      '08',
      '09',
      '10',
      '11',
      '12',
      '13',
      '14',
    ]);
  });

  it.each(documents)('$name validates against the schema', ({ source }) => {
    expect(validate(schema, parse(source)).map((error) => error.message)).toEqual([]);
  });

  it.each(queries)('$name answers without errors on seeded data', async ({ name, source }) => {
    const data = await executeOk(db.gateway, source, variablesFor(name));
    expect(Object.values(data).every((value) => value !== null)).toBe(true);
  });
});

describe('the dashboard page query is batched', () => {
  const page = documents.find((d) => d.name.startsWith('00'))?.source ?? '';

  it('runs the same number of statements for 1, 5 and 12 campaigns', async () => {
    const counts: number[] = [];
    for (const first of [1, 5, 12]) {
      db.statements.length = 0;
      const data = await executeOk(db.gateway, page, { first, from: FROM, to: TO, year: 2026 });
      expect(data.campaigns.edges).toHaveLength(first);
      counts.push(db.statements.length);
    }
    expect(new Set(counts).size).toBe(1);
  });
});

describe('docs/dashboard-queries.md', () => {
  const markdown = readFileSync(new URL('../docs/dashboard-queries.md', import.meta.url), 'utf8');
  it.each(documents)('shows $name as shipped', ({ source }) => {
    expect(markdown).toContain(source.trim());
  });
});
