import { ConfigError } from '../config.js';
import { setDailyAggregateZones } from '../queries/daily-aggregates.js';
import { withDatabase } from './command-line.js';

/**
 * `npm run migrate`: applies the committed drizzle-kit migrations to DATABASE_URL or the
 * embedded database, then DAILY_AGGREGATE_TIME_ZONES when set (building a new zone's days reads
 * every snapshot once: minutes at 15M rows).
 */
withDatabase(async (database, config) => {
  await database.migrate();
  console.log(`migrated the ${database.driver === 'postgres' ? 'PostgreSQL' : 'embedded'} database`);
  if (config.dailyAggregateTimeZones) {
    const { added, removed, days } = await setDailyAggregateZones(
      database.db,
      config.dailyAggregateTimeZones,
    );
    console.log(
      `daily pre-aggregates: zones added [${added.join(', ')}] (${days} local days built), removed [${removed.join(', ')}]`,
    );
  }
}).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
