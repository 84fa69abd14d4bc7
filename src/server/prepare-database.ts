import { sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { type DatabaseHandle, queryRows } from '../db/client.js';
import type { Logger } from '../observability/logger.js';
import { setDailyAggregateZones } from '../queries/daily-aggregates.js';
import { maintainSnapshotPartitions } from '../queries/snapshot-partitions.js';
import { seedDatabase } from '../seed/seed-database.js';

/** Demo data for a fresh embedded database: enough to explore every field in GraphiQL. */
const DEMO = { campaigns: 12, days: 120 };

/**
 * The embedded database migrates itself and gets demo data on first start (a restart keeps
 * it; seeding is idempotent, so a start interrupted while seeding finishes the job next
 * time). A PostgreSQL server is migrated by `npm run migrate`; starting against one that is
 * not is a configuration error, not something to do behind the operator's back. Either way
 * the snapshot table's month partitions are then brought up to date (this month and three
 * ahead): routine upkeep, not a schema
 * change, and safe while other instances start too.
 */
export async function prepareDatabase(
  database: DatabaseHandle,
  config: Config,
  logger: Logger,
): Promise<void> {
  if (database.driver === 'pglite') {
    await database.migrate();
    const [row] = await queryRows<{ empty: boolean }>(
      database.db,
      sql`SELECT NOT EXISTS (SELECT 1 FROM campaign_metrics_snapshots) AS empty`,
    );
    if (config.demoData && row?.empty) {
      logger.info(DEMO, 'embedded database is empty: adding demo campaigns');
      await seedDatabase(database.db, { ...DEMO, randomSeed: 42 });
    }
    await maintainPartitions(database, logger);
    if (config.dailyAggregateTimeZones) {
      const zones = await setDailyAggregateZones(database.db, config.dailyAggregateTimeZones);
      if (zones.added.length || zones.removed.length) logger.info(zones, 'daily pre-aggregate zones changed');
    }
    return;
  }
  // The newest schema has the snapshot table partitioned; an older one needs a migration.
  const [row] = await queryRows<{ migrated: boolean }>(
    database.db,
    sql`SELECT EXISTS (SELECT 1 FROM pg_partitioned_table
                       WHERE partrelid = to_regclass('public.campaign_metrics_snapshots')) AS migrated`,
  );
  if (!row?.migrated) {
    throw new ConfigError(
      'DATABASE_URL points at a database without the current schema: run `npm run migrate` first',
    );
  }
  await maintainPartitions(database, logger);
}

async function maintainPartitions(database: DatabaseHandle, logger: Logger): Promise<void> {
  const result = await maintainSnapshotPartitions(database.db);
  if (result.created.length > 0) logger.info(result, 'snapshot partitions created');
}
