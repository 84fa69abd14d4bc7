import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/**
 * Citus distributes campaigns by id and every campaign-keyed table by campaign_id,
 * co-located with campaigns (docs/scaling.md). Citus then needs every primary key, unique
 * index and foreign key of a distributed table to hold the distribution column, and a
 * foreign key between two distributed tables to join them on it. These tests read the
 * constraints from the migrated database's catalog, so a key added later without
 * campaign_id fails here instead of at create_distributed_table.
 */

/** Tables Citus would replicate to every node instead of distributing (docs/scaling.md). */
const REFERENCE_TABLES: readonly string[] = ['daily_aggregate_zones'];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

interface TableColumns {
  table: string;
  columns: string[];
}

/** The application's tables (partitions are covered by their parent), with their columns. */
async function applicationTables(): Promise<TableColumns[]> {
  return queryRows<{ table: string; columns: string[] }>(
    db.handle.db,
    sql`SELECT c.relname AS table, array_agg(a.attname::text ORDER BY a.attnum) AS columns
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        GROUP BY c.relname ORDER BY c.relname`,
  );
}

/** Unique indexes (primary keys included) of a table, with their key columns in order. */
async function uniqueKeys(table: string) {
  return queryRows<{ index: string; primary: boolean; columns: string[] }>(
    db.handle.db,
    sql`SELECT i.indexrelid::regclass::text AS index, i.indisprimary AS primary,
               array_agg(a.attname::text ORDER BY k.ordinality) AS columns
        FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
        LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = ${table}::regclass AND i.indisunique
        GROUP BY i.indexrelid, i.indisprimary`,
  );
}

/** Foreign keys of a table: its columns and the referenced table's, paired in order. */
async function foreignKeys(table: string) {
  return queryRows<{ name: string; references: string; columns: string[]; referenced: string[] }>(
    db.handle.db,
    sql`SELECT c.conname AS name, c.confrelid::regclass::text AS references,
               array_agg(a.attname::text ORDER BY k.ordinality) AS columns,
               array_agg(f.attname::text ORDER BY k.ordinality) AS referenced
        FROM pg_constraint c
        CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, fattnum, ordinality)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = k.fattnum
        WHERE c.conrelid = ${table}::regclass AND c.contype = 'f' AND c.conparentid = 0
        GROUP BY c.oid, c.conname, c.confrelid`,
  );
}

describe('Citus-ready schema', () => {
  it('every table is campaigns, campaign-keyed (campaign_id) or a declared reference table', async () => {
    const tables = await applicationTables();
    const unplaced = tables.filter(
      (t) =>
        t.table !== 'campaigns' && !t.columns.includes('campaign_id') && !REFERENCE_TABLES.includes(t.table),
    );
    expect(unplaced.map((t) => t.table)).toEqual([]);
    // the check sees the tables it is meant for
    expect(tables.map((t) => t.table)).toEqual(
      expect.arrayContaining([
        'campaigns',
        'campaign_metrics_snapshots',
        'campaign_metrics_rollups',
        'campaign_metrics_archives',
      ]),
    );
  });

  it('campaigns is keyed by id alone, and its other unique indexes hold id', async () => {
    const keys = await uniqueKeys('campaigns');
    expect(keys.filter((k) => k.primary).map((k) => k.columns)).toEqual([['id']]);
    for (const key of keys) expect(key.columns, key.index).toContain('id');
  });

  it('every primary key and unique index of a campaign-keyed table holds campaign_id', async () => {
    const tables = (await applicationTables()).filter((t) => t.columns.includes('campaign_id'));
    let checked = 0;
    for (const { table } of tables) {
      for (const key of await uniqueKeys(table)) {
        expect(key.columns, `${table}: ${key.index}`).toContain('campaign_id');
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('every foreign key of a campaign-keyed table joins on campaign_id = campaigns.id', async () => {
    const tables = (await applicationTables()).filter((t) => t.columns.includes('campaign_id'));
    for (const { table } of tables) {
      const keys = await foreignKeys(table);
      // each campaign-keyed table cascades from its campaign
      expect(
        keys.some((k) => k.references === 'campaigns'),
        `${table} references campaigns`,
      ).toBe(true);
      for (const key of keys) {
        const pairs = key.columns.map((column, i) => `${column}=${key.referenced[i]}`);
        if (key.references === 'campaigns')
          expect(pairs, `${table}: ${key.name}`).toContain('campaign_id=id');
        else expect(pairs, `${table}: ${key.name}`).toContain('campaign_id=campaign_id');
      }
    }
  });

  it('foreign keys into campaigns reference its distribution column id', async () => {
    const tables = await applicationTables();
    for (const { table } of tables) {
      for (const key of (await foreignKeys(table)).filter((k) => k.references === 'campaigns')) {
        expect(key.referenced, `${table}: ${key.name}`).toEqual(['id']);
      }
    }
  });
});
