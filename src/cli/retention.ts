import { ConfigError } from '../config.js';
import { ArchiveError } from '../retention/archive-store.js';
import { RetentionInputError, runRetention } from '../retention/run-retention.js';
import { parseOptions, UsageError, withDatabase } from './command-line.js';

const USAGE = 'usage: npm run retention -- [--as-of <RFC 3339 instant>] [--dry-run]';

function parseRetentionArgs(argv: readonly string[]): { asOf?: Date; dryRun: boolean } | 'help' {
  const values = parseOptions(argv, {
    'as-of': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return 'help';
  const raw = values['as-of'];
  let asOf: Date | undefined;
  if (raw !== undefined) {
    // an instant with an explicit offset, as the GraphQL DateTime scalar requires
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)) {
      throw new UsageError(`--as-of must be an RFC 3339 instant such as 2026-01-31T00:00:00Z, got "${raw}"`);
    }
    asOf = new Date(raw);
    if (Number.isNaN(asOf.getTime())) throw new UsageError(`--as-of is not a valid instant: "${raw}"`);
  }
  return { ...(asOf ? { asOf } : {}), dryRun: values['dry-run'] === true };
}

/** `npm run retention`: the retention tiers once, as the server's schedule runs them. */
async function main() {
  const args = parseRetentionArgs(process.argv.slice(2));
  if (args === 'help') {
    console.log(USAGE);
    return;
  }
  await withDatabase(async (database, config) => {
    if (database.driver === 'pglite') await database.migrate();
    const report = await runRetention(database.db, {
      ...args,
      archive: { url: config.archiveUrl, s3: config.archiveS3 },
    });
    console.log(JSON.stringify({ ...report, asOf: report.asOf.toISOString() }, null, 2));
    if (report.skipped) console.error('another retention run holds the lock: skipped');
  });
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof RetentionInputError) {
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
  else if (error instanceof ArchiveError) console.error(`archive error: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
