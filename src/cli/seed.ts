import { ConfigError } from '../config.js';
import { seedDatabase } from '../seed/seed-database.js';
import { parseOptions, UsageError, withDatabase } from './command-line.js';

const USAGE = 'usage: npm run seed -- [--campaigns N] [--days D] [--seed S] [--concurrency C]';

interface SeedArgs {
  campaigns: number;
  days: number;
  seed: number;
  /** absent: 2 on a PostgreSQL server (the fastest measured on 2 cores), 1 on PGlite */
  concurrency: number | undefined;
}

function integerArg<Fallback extends number | undefined>(
  values: Record<string, unknown>,
  name: string,
  fallback: Fallback,
  min: number,
  max: number,
): number | Fallback {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(raw)}"`);
  }
  return value;
}

/** Defaults: the demo data the server adds to an empty embedded database. */
function parseSeedArgs(argv: readonly string[]): SeedArgs | 'help' {
  const values: Record<string, unknown> = parseOptions(argv, {
    campaigns: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return 'help';
  return {
    campaigns: integerArg(values, 'campaigns', 12, 1, 1_000_000),
    days: integerArg(values, 'days', 120, 1, 36_500),
    seed: integerArg(values, 'seed', 42, -2_147_483_648, 4_294_967_295),
    concurrency: integerArg(values, 'concurrency', undefined, 1, 32),
  };
}

async function main(): Promise<number> {
  let args: SeedArgs | 'help';
  try {
    args = parseSeedArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`seed: ${error.message.replace(/\s+/g, ' ')} (${USAGE})`);
    return 2;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  await withDatabase(async (database, config) => {
    let concurrency = args.concurrency ?? (database.driver === 'postgres' ? 2 : 1);
    if (database.driver === 'pglite' && concurrency > 1) {
      console.error('seed: the embedded database has one connection; writing with --concurrency 1');
      concurrency = 1;
    }
    await database.migrate();
    const target =
      database.driver === 'postgres' ? 'PostgreSQL' : `the embedded database in ${config.dataDir}`;
    console.log(
      `seeding ${target}: ${args.campaigns} campaigns x ${args.days} days (seed ${args.seed}, concurrency ${concurrency})`,
    );
    const started = performance.now();
    let reported = started;
    const result = await seedDatabase(database.db, {
      campaigns: args.campaigns,
      days: args.days,
      randomSeed: args.seed,
      concurrency,
      onProgress: ({ snapshots }) => {
        const now = performance.now();
        if (now - reported < 5000) return;
        reported = now;
        console.log(
          `  ${snapshots.toLocaleString('en-US')} snapshots, ${((now - started) / 1000).toFixed(0)} s`,
        );
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round(result.snapshots / seconds);
    console.log(
      `campaigns: ${result.campaigns}  snapshots: ${result.snapshots}  seconds: ${seconds.toFixed(1)}  rows/s: ${rate}`,
    );
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
    process.exitCode = 1;
  },
);
