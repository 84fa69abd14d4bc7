import { createServer } from 'node:http';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { startRetentionScheduler } from '../retention/scheduler.js';
import { configureRetention } from '../retention/settings.js';
import { prepareDatabase } from './prepare-database.js';
import { createGateway } from './yoga.js';

async function main() {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await prepareDatabase(database, config);
  const retention = { archiveUrl: config.archiveUrl, s3: config.archiveS3 };
  configureRetention(retention);
  const yoga = createGateway({ db: database.db });
  const scheduler = startRetentionScheduler({
    db: database.db,
    settings: retention,
    intervalMinutes: config.retentionIntervalMinutes,
    onReport: (report) => {
      if (report.skipped) console.log('retention: another instance is running it, skipped');
      else console.log(`retention: ${JSON.stringify(report)}`);
    },
    onError: (error) => console.error('retention run failed:', error),
  });
  const server = createServer(yoga);
  server.listen(config.port, () => {
    console.log(
      `campaign metrics gateway on http://localhost:${config.port}${yoga.graphqlEndpoint} (${database.driver})`,
    );
  });
  const shutdown = () => {
    server.close(
      () =>
        void scheduler
          .stop()
          .then(() => database.close())
          .then(() => process.exit(0)),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  // Bad configuration is one clear line; anything else keeps its stack.
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
