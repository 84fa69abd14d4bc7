import { createServer } from 'node:http';
import { pino } from 'pino';
import { authMode } from '../auth/authenticate.js';
import { invalidateCachedCampaigns } from '../cache/response-cache.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { createReadRouter } from '../db/replicas.js';
import { createLogger } from '../observability/logger.js';
import { retentionReporting } from '../observability/retention-reporting.js';
import { connectRedis } from '../redis/connection.js';
import { startRetentionScheduler } from '../retention/scheduler.js';
import { configureRetention } from '../retention/settings.js';
import { prepareDatabase } from './prepare-database.js';
import { ServingState, shutDown } from './shutdown.js';
import { createGateway } from './yoga.js';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // Before anything else: production without auth stops here with one line.
  if (authMode(config.auth, config) === 'open') {
    logger.warn(
      'OPEN MODE, no AUTH_JWT_SECRET or AUTH_JWKS_URL set: every request may read and write every tenant',
    );
  }
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    statementTimeoutMs: config.limits.statementTimeoutMs,
    prepareStatements: config.preparedStatements,
    replicaUrls: config.databaseReplicaUrls,
  });
  await prepareDatabase(database, config, logger);
  const retention = { archiveUrl: config.archiveUrl, s3: config.archiveS3 };
  configureRetention(retention);
  const redis = config.redisUrl ? connectRedis(config.redisUrl) : undefined;
  const serving = new ServingState();
  const readRouter = database.replicas.length
    ? createReadRouter({ primary: database.db, replicas: database.replicas, logger })
    : undefined;
  const yoga = createGateway({
    db: database.db,
    readRouter,
    settings: config,
    redis,
    logger,
    serving,
  });
  const scheduler = startRetentionScheduler({
    db: database.db,
    settings: retention,
    intervalMinutes: config.retentionIntervalMinutes,
    ...retentionReporting(logger),
    onCampaignChanged: (campaignId) => void invalidateCachedCampaigns(database.db, [campaignId], 'snapshots'),
    asWrite: readRouter && ((run) => readRouter.trackWrite('retention', run)),
  });
  const server = createServer(yoga);
  server.listen(config.port, () => {
    logger.info(
      {
        url: `http://localhost:${config.port}${yoga.graphqlEndpoint}`,
        driver: database.driver,
        readReplicas: database.replicas.map((replica) => replica.name),
      },
      'campaign metrics gateway listening',
    );
  });

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'signal received');
    // Live subscriptions (SSE) never end by themselves; dispose() completes them so close() can
    // finish. Batched trace spans are sent once the requests in flight are done.
    const disposed = yoga.dispose();
    void shutDown({
      server,
      serving,
      timeoutMs: config.shutdownTimeoutMs,
      logger,
      steps: [
        { name: 'retention scheduler', run: () => scheduler.stop() },
        { name: 'gateway plugins', run: () => Promise.resolve(disposed) },
        ...(redis ? [{ name: 'redis', run: () => redis.quit() }] : []),
        { name: 'database', run: () => database.close() },
      ],
    }).then(({ clean }) => process.exit(clean ? 0 : 1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((error: unknown) => {
  // Bad configuration is one clear line; anything else keeps its stack. On stderr: the
  // configured logger may not exist yet.
  const log = createLogger('info', pino.destination({ dest: 2, sync: true }));
  if (error instanceof ConfigError) log.fatal(`configuration error: ${error.message}`);
  else log.fatal({ err: error }, 'start-up failed');
  process.exit(1);
});
