import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The gateway's Prometheus metrics, served at /metrics. One registry per process; modules
 * record into the named metrics below rather than creating their own.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export const responseCacheLookups = new Counter({
  name: 'gateway_response_cache_lookups_total',
  help: 'Response cache lookups by result (hit, miss, error when the cache store failed)',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

export const responseCacheSkipped = new Counter({
  name: 'gateway_response_cache_skipped_total',
  help: 'Cacheable answers returned but not stored, by reason (replica_behind: read on a replica that had not replayed every write of this gateway)',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

export const redisUp = new Gauge({
  name: 'gateway_redis_up',
  help: '1 when the configured Redis answered the last check, 0 when it did not',
  registers: [metricsRegistry],
});

export const retentionRuns = new Counter({
  name: 'gateway_retention_runs_total',
  help: 'Retention runs by outcome (completed, skipped, failed)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

export const retentionPartitionsDropped = new Counter({
  name: 'gateway_retention_partitions_dropped_total',
  help: 'Empty month partitions of the snapshot table that retention detached and dropped',
  registers: [metricsRegistry],
});

export const sqlStatementDuration = new Histogram({
  name: 'gateway_sql_statement_duration_seconds',
  help: 'Duration of SQL statements the gateway sent',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

export const graphqlRequestDuration = new Histogram({
  name: 'gateway_graphql_request_duration_seconds',
  help: 'GraphQL requests from arrival to response, by operation name and type (unknown when the document never reached execution)',
  labelNames: ['operation_name', 'operation_type'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const graphqlErrors = new Counter({
  name: 'gateway_graphql_errors_total',
  help: 'Errors in GraphQL responses by extensions.code (NONE when an error has no code)',
  labelNames: ['code'] as const,
  registers: [metricsRegistry],
});

export const responseCacheHitRatio = new Gauge({
  name: 'gateway_response_cache_hit_ratio',
  help: 'Response cache hits / (hits + misses) since start; 0 before the first lookup',
  registers: [metricsRegistry],
  async collect() {
    const { values } = await responseCacheLookups.get();
    const count = (result: string) =>
      values
        .filter((sample) => sample.labels.result === result)
        .reduce((sum, sample) => sum + sample.value, 0);
    const hits = count('hit');
    const lookups = hits + count('miss');
    this.set(lookups === 0 ? 0 : hits / lookups);
  },
});

export const dbPoolMaxConnections = new Gauge({
  name: 'gateway_db_pool_max_connections',
  help: 'Configured connections of the open database pools (the server has one; the embedded database counts 1)',
  registers: [metricsRegistry],
});

export const dbStatementsInFlight = new Gauge({
  name: 'gateway_db_statements_in_flight',
  help: 'SQL statements sent and not yet answered, including those waiting for a free pool connection',
  registers: [metricsRegistry],
});

export const dbTransactionsOpen = new Gauge({
  name: 'gateway_db_transactions_open',
  help: 'Open transactions; each holds one pool connection until it commits or rolls back',
  registers: [metricsRegistry],
});

export const dbReads = new Counter({
  name: 'gateway_db_reads_total',
  help: 'GraphQL read operations by the database that ran them (primary, replica); a read retried on the primary after its replica failed counts for both',
  labelNames: ['target'] as const,
  registers: [metricsRegistry],
});

export const dbReplicaUp = new Gauge({
  name: 'gateway_db_replica_up',
  help: '1 while a read replica (DATABASE_REPLICA_URLS) is in use, 0 after it failed until a check succeeds again',
  labelNames: ['replica'] as const,
  registers: [metricsRegistry],
});
