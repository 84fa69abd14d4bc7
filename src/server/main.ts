import { createServer } from 'node:http';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { prepareDatabase } from './prepare-database.js';
import { createGateway } from './yoga.js';

async function main() {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await prepareDatabase(database, config);
  const yoga = createGateway({ db: database.db });
  const server = createServer(yoga);
  server.listen(config.port, () => {
    console.log(
      `campaign metrics gateway on http://localhost:${config.port}${yoga.graphqlEndpoint} (${database.driver})`,
    );
  });
  const shutdown = () => {
    server.close(() => void database.close().then(() => process.exit(0)));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  // Bad configuration is one clear line; anything else keeps its stack.
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
