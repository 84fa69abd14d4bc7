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

export const sqlStatementDuration = new Histogram({
  name: 'gateway_sql_statement_duration_seconds',
  help: 'Duration of SQL statements the gateway sent',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});
