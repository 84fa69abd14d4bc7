import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config.js';
import { type DatabaseHandle, openDatabase } from '../db/client.js';

/** A bad command line: the entry point prints it with its usage line and exits with 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Named options only (no positionals); anything unknown or malformed is a UsageError. */
export function parseOptions<O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Opens the configured database (DATABASE_URL, else the embedded one), runs `work`, closes it. */
export async function withDatabase<T>(
  work: (database: DatabaseHandle, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await work(database, config);
  } finally {
    await database.close();
  }
}
