import { GraphQLError } from 'graphql';
import type { ArchiveManifest } from '../queries/rollups.js';
import { ArchiveError, getArchiveObject, type S3Settings } from './archive-store.js';
import { decodeArchiveRows, sha256Hex } from './parquet-archive.js';
import { retentionSettings } from './settings.js';

/**
 * Reading archived quarters back: for the read path (snapshots/series over archived ranges)
 * and for merging late data into an archived quarter. Every read checks the file against
 * its manifest row (sha256, row count) before trusting a value in it.
 */
export async function readArchivedRows(
  manifest: ArchiveManifest,
  s3: S3Settings,
): Promise<Record<string, unknown>[]> {
  const url = manifest.objectUrl;
  const bytes = await getArchiveObject(url, s3);
  const checksum = sha256Hex(bytes);
  if (checksum !== manifest.sha256) {
    throw new ArchiveError(
      `archive file ${url} is corrupt: sha256 ${checksum}, the manifest recorded ${manifest.sha256}`,
      url,
    );
  }
  let rows: Record<string, unknown>[];
  try {
    rows = await decodeArchiveRows(bytes);
  } catch (error) {
    throw new ArchiveError(
      `archive file ${url} is corrupt: ${error instanceof Error ? error.message : String(error)}`,
      url,
    );
  }
  if (rows.length !== manifest.rowCount) {
    throw new ArchiveError(
      `archive file ${url} holds ${rows.length} rows, the manifest recorded ${manifest.rowCount}`,
      url,
    );
  }
  return rows;
}

/** S3 settings for reads in the gateway: those the process was configured with. */
export const archiveReadSettings = (): S3Settings => retentionSettings().s3;

/** The caller-facing error for an archived range that cannot be read. */
export function archiveUnreadable(error: unknown): GraphQLError {
  const url = error instanceof ArchiveError ? error.url : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new GraphQLError(message, {
    extensions: { code: 'ARCHIVE_UNREADABLE', ...(url ? { url } : {}) },
  });
}
