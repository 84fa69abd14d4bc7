import postgres from 'postgres';
import { ConfigError, loadConfig } from '../config.js';
import type { DatabaseHandle } from '../db/client.js';
import {
  type BulkSeedPlan,
  bulkSeed,
  bulkSeedIsPresent,
  plannedSnapshots,
  SCALE_NAMES,
  type ScaleName,
  scalePlan,
} from '../seed/bulk-seed.js';
import { seedDatabase } from '../seed/seed-database.js';
import { parseOptions, UsageError, withDatabase } from './command-line.js';

const USAGE =
  'usage: npm run seed -- [--campaigns N] [--days D] [--seed S] [--concurrency C]' +
  ' | --scale 1.5m|15m [--end YYYY-MM-DD] [--streams N] [--reseed]';

/** A bulk load by COPY (src/seed/bulk-seed.ts) of one of the benchmark sizes. */
interface ScaleArgs {
  plan: BulkSeedPlan;
  /** COPY statements at once */
  streams: number;
  /** load even when the plan is already present */
  reseed: boolean;
}

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

function scaleArgs(values: Record<string, unknown>): ScaleArgs {
  const scale = String(values.scale);
  if (!SCALE_NAMES.includes(scale as ScaleName)) {
    throw new UsageError(`--scale must be one of ${SCALE_NAMES.join(', ')}, got "${scale}"`);
  }
  for (const name of ['campaigns', 'days', 'concurrency']) {
    if (values[name] !== undefined) throw new UsageError(`--${name} does not go with --scale`);
  }
  let end: Date | undefined;
  if (values.end !== undefined) {
    const raw = String(values.end);
    end = new Date(`${raw}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(end.getTime())) {
      throw new UsageError(`--end must be a date YYYY-MM-DD, got "${raw}"`);
    }
  }
  const plan = scalePlan(scale as ScaleName, end);
  return {
    plan: { ...plan, seed: integerArg(values, 'seed', plan.seed, -2_147_483_648, 2_147_483_647) },
    streams: integerArg(values, 'streams', 1, 1, 8),
    reseed: values.reseed === true,
  };
}

/** Defaults: the demo data the server adds to an empty embedded database. */
function parseSeedArgs(argv: readonly string[]): SeedArgs | ScaleArgs | 'help' {
  const values: Record<string, unknown> = parseOptions(argv, {
    campaigns: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string' },
    scale: { type: 'string' },
    end: { type: 'string' },
    streams: { type: 'string' },
    reseed: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return 'help';
  if (values.scale !== undefined) return scaleArgs(values);
  for (const name of ['end', 'streams', 'reseed']) {
    if (values[name] !== undefined) throw new UsageError(`--${name} goes with --scale only`);
  }
  return {
    campaigns: integerArg(values, 'campaigns', 12, 1, 1_000_000),
    days: integerArg(values, 'days', 120, 1, 36_500),
    seed: integerArg(values, 'seed', 42, -2_147_483_648, 4_294_967_295),
    concurrency: integerArg(values, 'concurrency', undefined, 1, 32),
  };
}

const minutes = (seconds: number) => (seconds / 60).toFixed(1);

/** Loads a benchmark size by COPY unless it is present, then VACUUM (ANALYZE)s the tables. */
async function seedScale(database: DatabaseHandle, databaseUrl: string, args: ScaleArgs): Promise<void> {
  await database.migrate();
  const { plan } = args;
  const sql = postgres(databaseUrl, { max: args.streams + 1, onnotice: () => {} });
  try {
    const planned = plannedSnapshots(plan);
    const describe = `${plan.campaigns} campaigns ${plan.cadence} + ${plan.hourlyCampaigns} HOURLY x ${plan.days} days to ${plan.end.toISOString().slice(0, 10)} (seed ${plan.seed})`;
    if (!args.reseed && (await bulkSeedIsPresent(sql, plan))) {
      console.log(`already present: ${describe}; --reseed loads it again`);
      return;
    }
    console.log(
      `bulk seeding ${describe}: ${planned.toLocaleString('en-US')} snapshots, ${args.streams} COPY stream(s)`,
    );
    const started = performance.now();
    let reported = started;
    const result = await bulkSeed(
      sql,
      plan,
      (rows) => {
        const now = performance.now();
        if (now - reported < 10_000) return;
        reported = now;
        const seconds = (now - started) / 1000;
        console.log(
          `  ${rows.toLocaleString('en-US')} snapshots (${((100 * rows) / planned).toFixed(0)} %), ${seconds.toFixed(0)} s, ${Math.round(rows / seconds)} rows/s`,
        );
      },
      { streams: args.streams },
    );
    console.log(
      `campaigns: ${result.campaigns}  snapshots: ${result.snapshots}  minutes: ${minutes(result.seconds)}  rows/s: ${Math.round(result.snapshots / result.seconds)}`,
    );
    const vacuumStarted = performance.now();
    await sql`VACUUM (ANALYZE) campaigns, campaign_metrics_snapshots, campaign_metrics_daily, campaign_metrics_weekly`;
    console.log(`VACUUM (ANALYZE): ${minutes((performance.now() - vacuumStarted) / 1000)} minutes`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function main(): Promise<number> {
  let args: SeedArgs | ScaleArgs | 'help';
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
  if ('plan' in args) {
    const { databaseUrl } = loadConfig();
    if (!databaseUrl) {
      console.error(
        'seed: --scale needs a PostgreSQL server (DATABASE_URL): bulk loading millions of rows into the embedded database is not supported',
      );
      return 2;
    }
    const scale = args;
    await withDatabase((database) => seedScale(database, databaseUrl, scale));
    return 0;
  }
  const regular = args;
  await withDatabase(async (database, config) => {
    let concurrency = regular.concurrency ?? (database.driver === 'postgres' ? 2 : 1);
    if (database.driver === 'pglite' && concurrency > 1) {
      console.error('seed: the embedded database has one connection; writing with --concurrency 1');
      concurrency = 1;
    }
    await database.migrate();
    const target =
      database.driver === 'postgres' ? 'PostgreSQL' : `the embedded database in ${config.dataDir}`;
    console.log(
      `seeding ${target}: ${regular.campaigns} campaigns x ${regular.days} days (seed ${regular.seed}, concurrency ${concurrency})`,
    );
    const started = performance.now();
    let reported = started;
    const result = await seedDatabase(database.db, {
      campaigns: regular.campaigns,
      days: regular.days,
      randomSeed: regular.seed,
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
