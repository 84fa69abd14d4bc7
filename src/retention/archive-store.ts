import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

/**
 * Where archived quarters live: a `file://` directory or an `s3://bucket/prefix` (AWS S3 or
 * any S3-compatible store through `endpoint`). Objects are addressed by full URL, so the
 * manifest keeps working after ARCHIVE_URL changes.
 */
export interface S3Settings {
  /** e.g. http://127.0.0.1:9000 for MinIO or s3rver; absent: AWS itself */
  endpoint?: string;
  region?: string;
  /** path-style addressing (bucket in the path), which S3-compatible stores need */
  forcePathStyle?: boolean;
  /** absent: the AWS SDK's default chain (AWS_ACCESS_KEY_ID, profiles, roles) */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class ArchiveError extends Error {
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

interface S3Location {
  bucket: string;
  key: string;
}

function s3Location(url: string): S3Location {
  const parsed = new URL(url);
  const key = decodeURIComponent(parsed.pathname.replace(/^\/+/, ''));
  if (!parsed.hostname) throw new ArchiveError(`archive URL ${url} names no bucket`, url);
  return { bucket: parsed.hostname, key };
}

const clients = new Map<string, S3Client>();
function s3Client(settings: S3Settings): S3Client {
  const cacheKey = JSON.stringify(settings);
  let client = clients.get(cacheKey);
  if (!client) {
    client = new S3Client({
      region: settings.region ?? 'us-east-1',
      forcePathStyle: settings.forcePathStyle ?? Boolean(settings.endpoint),
      maxAttempts: 2,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
    });
    clients.set(cacheKey, client);
  }
  return client;
}

function schemeOf(url: string): 'file' | 's3' {
  if (url.startsWith('file://')) return 'file';
  if (url.startsWith('s3://')) return 's3';
  throw new ArchiveError(`archive URL must start with file:// or s3://, got ${url}`, url);
}

/** Validates an ARCHIVE_URL; returns it without a trailing slash. */
export function normalizeArchiveUrl(url: string): string {
  schemeOf(url);
  if (url.startsWith('s3://')) s3Location(url);
  return url.replace(/\/+$/, '');
}

/** A file:// URL for a local directory. */
export const directoryUrl = (directory: string) => pathToFileURL(path.resolve(directory)).href;

export async function putArchiveObject(url: string, bytes: Uint8Array, settings: S3Settings): Promise<void> {
  try {
    if (schemeOf(url) === 'file') {
      const file = fileURLToPath(url);
      await mkdir(path.dirname(file), { recursive: true });
      // write beside, then rename: a reader never sees half a file
      const partial = `${file}.partial`;
      await writeFile(partial, bytes);
      await rename(partial, file);
      return;
    }
    const { bucket, key } = s3Location(url);
    await s3Client(settings).send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: bytes,
        ContentType: 'application/vnd.apache.parquet',
      }),
    );
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    throw new ArchiveError(`cannot write archive object ${url}: ${reason(error)}`, url, { cause: error });
  }
}

export async function getArchiveObject(url: string, settings: S3Settings): Promise<Uint8Array> {
  try {
    if (schemeOf(url) === 'file') return new Uint8Array(await readFile(fileURLToPath(url)));
    const { bucket, key } = s3Location(url);
    const response = await s3Client(settings).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) throw new Error('empty response body');
    return await response.Body.transformToByteArray();
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    throw new ArchiveError(`cannot read archive object ${url}: ${reason(error)}`, url, { cause: error });
  }
}

/** Best effort: a superseded object left behind is harmless (the manifest no longer names it). */
export async function deleteArchiveObject(url: string, settings: S3Settings): Promise<void> {
  try {
    if (schemeOf(url) === 'file') {
      await rm(fileURLToPath(url), { force: true });
      return;
    }
    const { bucket, key } = s3Location(url);
    await s3Client(settings).send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    throw new ArchiveError(`cannot delete archive object ${url}: ${reason(error)}`, url, { cause: error });
  }
}

/**
 * Fails early with a clear message when the archive cannot be used (missing bucket, bad
 * endpoint, unwritable directory), before a run moves anything.
 */
export async function checkArchive(baseUrl: string, settings: S3Settings): Promise<void> {
  try {
    if (schemeOf(baseUrl) === 'file') {
      const directory = fileURLToPath(baseUrl);
      await mkdir(directory, { recursive: true });
      const probe = path.join(directory, `.write-check-${process.pid}`);
      await writeFile(probe, '');
      await rm(probe, { force: true });
      return;
    }
    const { bucket } = s3Location(baseUrl);
    await s3Client(settings).send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    throw new ArchiveError(`archive ${baseUrl} is not usable: ${reason(error)}`, baseUrl, { cause: error });
  }
}
