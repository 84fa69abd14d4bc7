import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toInstant } from '../src/db/values.js';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/** PostgreSQL prints timestamptz as text through raw SQL; toInstant reads it as the instant it names. */

describe('toInstant of PostgreSQL timestamptz text', () => {
  it.each([
    ['2024-03-31 22:00:00+00', '2024-03-31T22:00:00.000Z'],
    ['2024-03-31 22:00:00.5+00', '2024-03-31T22:00:00.500Z'],
    ['2024-03-31 22:00:00.123456+00', '2024-03-31T22:00:00.123Z'],
    ['2024-03-31 22:00:00.999999+00', '2024-03-31T22:00:00.999Z'],
    ['2024-01-01 05:30:00+05:30', '2024-01-01T00:00:00.000Z'],
    ['2023-12-31 19:00:00-05', '2024-01-01T00:00:00.000Z'],
    ['2024-11-03 01:30:00-02:30', '2024-11-03T04:00:00.000Z'],
    ['2024-02-29 23:59:59.001+14', '2024-02-29T09:59:59.001Z'],
    // read through the ISO 8601 fallback: a year Date.UTC would move to the 1900s
    ['0050-06-01 12:00:00+00', '0050-06-01T12:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(toInstant(text).toISOString()).toBe(iso);
  });

  it('refuses text that names no instant', () => {
    for (const text of ['2024-03-31', 'soon', '2024-13-45 99:00:00+00', '2024-03-31 22:00:00+0']) {
      expect(() => toInstant(text), text).toThrow(TypeError);
    }
  });
});

describe("the database's own text, in zones with whole-hour, half-hour and negative offsets", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.close());

  it.each(['UTC', 'Asia/Kolkata', 'America/St_Johns', 'America/New_York', 'Pacific/Kiritimati'])(
    'in %s',
    async (zone) => {
      // the expected instants are printed by PostgreSQL itself, in UTC, as ISO 8601
      const rows = await db.handle.db.transaction(async (tx) => {
        await tx.execute(sql.raw(`SET LOCAL TIME ZONE '${zone}'`));
        return tx.execute<{ instant: unknown; expected: string }>(
          sql`SELECT t::text AS instant,
                     to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expected
              FROM unnest(ARRAY['2024-03-10 06:59:59.999+00', '2024-03-10 07:00:00+00',
                                '2024-11-03 05:30:00.25+00', '1999-12-31 23:59:59+00',
                                '2024-06-30 18:29:00.000001+00']::timestamptz[]) AS t`,
          'objects',
        );
      });
      expect(rows).toHaveLength(5);
      for (const { instant, expected } of rows) expect(toInstant(instant).toISOString()).toBe(expected);
    },
  );
});
