import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';

/** `npm run migrate`: applies the committed drizzle-kit migrations to DATABASE_URL or the embedded database. */
async function migrate() {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await database.migrate();
    console.log(`migrated the ${database.driver === 'postgres' ? 'PostgreSQL' : 'embedded'} database`);
  } finally {
    await database.close();
  }
}

migrate().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
