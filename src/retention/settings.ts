import path from 'node:path';
import { directoryUrl, type S3Settings } from './archive-store.js';

/**
 * Retention settings of this process (from the configuration at start-up): where the
 * archive is, and the S3 settings used both to write it and to read archived ranges back.
 * Module state because the GraphQL resolvers and queries that need it run far from the
 * server's wiring; tests set it to their own archive.
 */
export interface RetentionSettings {
  archiveUrl: string;
  s3: S3Settings;
}

let current: RetentionSettings = {
  archiveUrl: directoryUrl(path.resolve('.data', 'archive')),
  s3: {},
};

export function configureRetention(settings: RetentionSettings): void {
  current = settings;
}

export const retentionSettings = (): RetentionSettings => current;
