import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/client.js';
import { createGateway } from '../src/server/yoga.js';

/**
 * The gateway as the benchmarks run it: its work, not its guards. No response cache (the SQL
 * side has none), no per-client rate limit (the load comes from one address) and no line per
 * request in the bench's output; every other limit and the metrics stay on.
 */
export function benchGateway(db: Database) {
  const defaults = loadConfig({});
  return createGateway({
    db,
    settings: {
      cacheEnabled: false,
      logLevel: 'warn',
      limits: { ...defaults.limits, rateLimitPerMinute: 0 },
    },
  });
}
