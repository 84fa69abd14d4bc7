import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isValidTimeZone } from './metrics/time-buckets.js';

/** Typed, validated settings. The only module that reads process.env. */
export interface Config {
  port: number;
  /** PostgreSQL server; absent means the embedded PGlite database under dataDir. */
  databaseUrl: string | undefined;
  /** Streaming replicas of databaseUrl that serve reads (src/db/replicas.ts); empty = the primary serves all. */
  databaseReplicaUrls: string[];
  /** Named prepared statements on PostgreSQL (off for PgBouncer in transaction mode before 1.21). */
  preparedStatements: boolean;
  dataDir: string;
  /** Fill an empty embedded database with demo campaigns on first start. */
  demoData: boolean;
  /** Retention archive: file:///dir or s3://bucket/prefix (default file:// under dataDir/archive). */
  archiveUrl: string;
  /** S3 client settings for an s3:// archive; credentials come from the AWS SDK's usual chain. */
  archiveS3: { endpoint?: string; region?: string; forcePathStyle?: boolean };
  /** Minutes between scheduled retention runs in the server; 0 = no schedule. */
  retentionIntervalMinutes: number;
  /**
   * Zones whose local days are pre-aggregated for every campaign (each campaign's own zone
   * always is); applied by `npm run migrate` and the embedded database's start. Undefined: unchanged.
   */
  dailyAggregateTimeZones: string[] | undefined;
  /** NODE_ENV === 'production': refuses to start in open mode unless auth.openMode says so. */
  production: boolean;
  auth: AuthConfig;
  /** Redis for the response cache, rate limits and subscription events; absent = in process. */
  redisUrl: string | undefined;
  limits: LimitsConfig;
  /** Response cache (memory, or Redis when redisUrl is set). */
  cacheEnabled: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** OpenTelemetry tracing of GraphQL execution (spans exported over OTLP/HTTP when an endpoint is set). */
  tracing: { enabled: boolean; otlpEndpoint: string | undefined };
  /** How long SIGTERM waits for in-flight requests and writes before closing pools. */
  shutdownTimeoutMs: number;
}

export interface AuthConfig {
  /** HS256 shared secret for bearer JWTs. */
  jwtSecret: string | undefined;
  /** JSON Web Key Set URL (RS256/ES256...) for bearer JWTs. */
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  /** AUTH_OPEN_MODE=true: no auth configured on purpose, even in production. */
  openMode: boolean;
}

export interface LimitsConfig {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  /** Cost budget per operation; connections cost by page size. */
  maxCost: number;
  maxBodyBytes: number;
  /** Requests per minute per token (per client address without a token); 0 = no limit. */
  rateLimitPerMinute: number;
  /** PostgreSQL statement_timeout for the gateway's connections; 0 = none. */
  statementTimeoutMs: number;
  /** Only operations from the client codegen's persisted documents are executed. */
  persistedOperationsOnly: boolean;
}

export class ConfigError extends Error {}

function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function booleanSetting(env: NodeJS.ProcessEnv, name: string, fallback: boolean) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function databaseUrlSetting(env: NodeJS.ProcessEnv) {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  return raw;
}

function databaseReplicaUrlsSetting(env: NodeJS.ProcessEnv, databaseUrl: string | undefined) {
  const urls = (env.DATABASE_REPLICA_URLS ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (urls.length && !databaseUrl) {
    throw new ConfigError(
      'DATABASE_REPLICA_URLS needs DATABASE_URL (the primary): the embedded database has no replicas',
    );
  }
  const bad = urls.find((url) => !/^postgres(ql)?:\/\/\S+$/.test(url));
  if (bad !== undefined) {
    throw new ConfigError(
      `DATABASE_REPLICA_URLS must list postgres:// or postgresql:// URLs, got "${bad.replace(/\/\/[^@/]*@/, '//***@')}"`,
    );
  }
  return urls;
}

function archiveUrlSetting(env: NodeJS.ProcessEnv, dataDir: string) {
  const raw = env.ARCHIVE_URL;
  if (raw === undefined || raw === '') return pathToFileURL(path.join(dataDir, 'archive')).href;
  if (!/^file:\/\/\/./.test(raw) && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(raw)) {
    throw new ConfigError(`ARCHIVE_URL must be file:///absolute/dir or s3://bucket[/prefix], got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function archiveS3Setting(env: NodeJS.ProcessEnv): Config['archiveS3'] {
  const endpoint = env.ARCHIVE_S3_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    throw new ConfigError(`ARCHIVE_S3_ENDPOINT must be an http(s):// URL, got "${endpoint}"`);
  }
  const region = env.ARCHIVE_S3_REGION || env.AWS_REGION || undefined;
  const forcePathStyle = booleanSetting(env, 'ARCHIVE_S3_FORCE_PATH_STYLE', endpoint !== undefined);
  return { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), forcePathStyle };
}

function optionalSetting(env: NodeJS.ProcessEnv, name: string, pattern?: RegExp) {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (pattern && !pattern.test(raw)) throw new ConfigError(`${name} has an unexpected format: "${raw}"`);
  return raw;
}

/** A comma-separated list of IANA zones; undefined when unset (the database's list stays as it is). */
function timeZoneListSetting(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const zones = [
    ...new Set(
      raw
        .split(',')
        .map((zone) => zone.trim())
        .filter((zone) => zone !== ''),
    ),
  ];
  const bad = zones.find((zone) => !isValidTimeZone(zone));
  if (bad !== undefined)
    throw new ConfigError(`${name} must list IANA zone names such as "Europe/Berlin", got "${bad}"`);
  return zones;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function logLevelSetting(env: NodeJS.ProcessEnv): Config['logLevel'] {
  const raw = env.LOG_LEVEL || 'info';
  const level = LOG_LEVELS.find((candidate) => candidate === raw);
  if (!level) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  return level;
}

function authSetting(env: NodeJS.ProcessEnv): AuthConfig {
  const jwtSecret = optionalSetting(env, 'AUTH_JWT_SECRET');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('AUTH_JWT_SECRET must be at least 32 bytes (HS256)');
  }
  return {
    jwtSecret,
    jwksUrl: optionalSetting(env, 'AUTH_JWKS_URL', /^https?:\/\/\S+$/),
    issuer: optionalSetting(env, 'AUTH_ISSUER'),
    audience: optionalSetting(env, 'AUTH_AUDIENCE'),
    openMode: booleanSetting(env, 'AUTH_OPEN_MODE', false),
  };
}

function limitsSetting(env: NodeJS.ProcessEnv): LimitsConfig {
  return {
    maxDepth: integerSetting(env, 'MAX_DEPTH', 12, 1, 100),
    maxAliases: integerSetting(env, 'MAX_ALIASES', 30, 0, 1000),
    maxTokens: integerSetting(env, 'MAX_TOKENS', 5000, 10, 1_000_000),
    maxCost: integerSetting(env, 'MAX_COST', 50_000, 1, 100_000_000),
    maxBodyBytes: integerSetting(env, 'MAX_BODY_BYTES', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    rateLimitPerMinute: integerSetting(env, 'RATE_LIMIT_PER_MINUTE', 600, 0, 10_000_000),
    statementTimeoutMs: integerSetting(env, 'STATEMENT_TIMEOUT_MS', 15_000, 0, 3_600_000),
    persistedOperationsOnly: booleanSetting(env, 'PERSISTED_OPERATIONS_ONLY', false),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR || '.data');
  const databaseUrl = databaseUrlSetting(env);
  return {
    port: integerSetting(env, 'PORT', 4000, 0, 65535),
    databaseUrl,
    databaseReplicaUrls: databaseReplicaUrlsSetting(env, databaseUrl),
    preparedStatements: booleanSetting(env, 'DATABASE_PREPARED_STATEMENTS', true),
    dataDir,
    demoData: booleanSetting(env, 'DEMO_DATA', true),
    archiveUrl: archiveUrlSetting(env, dataDir),
    archiveS3: archiveS3Setting(env),
    retentionIntervalMinutes: integerSetting(env, 'RETENTION_INTERVAL_MINUTES', 60, 0, 525_600),
    dailyAggregateTimeZones: timeZoneListSetting(env, 'DAILY_AGGREGATE_TIME_ZONES'),
    production: env.NODE_ENV === 'production',
    auth: authSetting(env),
    redisUrl: optionalSetting(env, 'REDIS_URL', /^rediss?:\/\/\S+$/),
    limits: limitsSetting(env),
    cacheEnabled: booleanSetting(env, 'CACHE_ENABLED', true),
    logLevel: logLevelSetting(env),
    tracing: {
      enabled: booleanSetting(env, 'OTEL_TRACING', false),
      otlpEndpoint: optionalSetting(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', /^https?:\/\/\S+$/),
    },
    shutdownTimeoutMs: integerSetting(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
}
