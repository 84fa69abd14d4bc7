import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Typed, validated settings. The only module that reads process.env. */
export interface Config {
  port: number;
  /** PostgreSQL server; absent means the embedded PGlite database under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Fill an empty embedded database with demo campaigns on first start. */
  demoData: boolean;
  /** Retention archive: file:///dir or s3://bucket/prefix (default file:// under dataDir/archive). */
  archiveUrl: string;
  /** S3 client settings for an s3:// archive; credentials come from the AWS SDK's usual chain. */
  archiveS3: { endpoint?: string; region?: string; forcePathStyle?: boolean };
  /** Minutes between scheduled retention runs in the server; 0 = no schedule. */
  retentionIntervalMinutes: number;
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR || '.data');
  return {
    port: integerSetting(env, 'PORT', 4000, 0, 65535),
    databaseUrl: databaseUrlSetting(env),
    dataDir,
    demoData: booleanSetting(env, 'DEMO_DATA', true),
    archiveUrl: archiveUrlSetting(env, dataDir),
    archiveS3: archiveS3Setting(env),
    retentionIntervalMinutes: integerSetting(env, 'RETENTION_INTERVAL_MINUTES', 60, 0, 525_600),
  };
}
