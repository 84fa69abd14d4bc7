import { ConfigError } from '../config.js';
import { withDatabase } from './command-line.js';

/** `npm run migrate`: applies the committed drizzle-kit migrations to DATABASE_URL or the embedded database. */
withDatabase(async (database) => {
  await database.migrate();
  console.log(`migrated the ${database.driver === 'postgres' ? 'PostgreSQL' : 'embedded'} database`);
}).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
