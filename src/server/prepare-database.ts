import { sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { type DatabaseHandle, queryRows } from '../db/client.js';
import type { Logger } from '../observability/logger.js';
import { seedDatabase } from '../seed/seed-database.js';

/** Demo data for a fresh embedded database: enough to explore every field in GraphiQL. */
const DEMO = { campaigns: 12, days: 120 };

/**
 * The embedded database migrates itself and gets demo data on first start (a restart keeps
 * it; seeding is idempotent, so a start interrupted while seeding finishes the job next
 * time). A PostgreSQL server is migrated by `npm run migrate`; starting against one that is
 * not is a configuration error, not something to do behind the operator's back.
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
    return;
  }
  const [row] = await queryRows<{ migrated: boolean }>(
    database.db,
    sql`SELECT to_regclass('public.campaign_metrics_snapshots') IS NOT NULL AS migrated`,
  );
  if (!row?.migrated) {
    throw new ConfigError(
      'DATABASE_URL points at a database without the schema: run `npm run migrate` first',
    );
  }
}
