import type { Clock } from '../../lib/clock';
import { type FileSystem, fsStorage } from '../../platform/fs-storage';
import type { BindingPorts, PortAdapters } from '../../platform/ports';
import { type S3Config, s3Storage } from '../../platform/s3-storage';
import { sqlQueue } from '../../platform/sql-queue';
import { JOBS_QUEUE } from './jobs';

/** Where files go outside Cloudflare: a folder (development, one machine) or an S3-compatible bucket. */
export type StorageChoice = { kind: 'fs'; dir: string; fs: FileSystem } | { kind: 's3'; s3: S3Config };

/** The default folder of the filesystem storage, relative to the working directory. */
export const DEFAULT_FILES_DIR = '.data/files';

/**
 * The storage the process's variables ask for: S3 when S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and
 * S3_SECRET_ACCESS_KEY are all set (S3_REGION optional), else the folder FILES_DIR (default `.data/files`).
 */
export function storageFromVars(vars: Record<string, string | undefined>, fs: FileSystem): StorageChoice {
  const { S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION } = vars;
  if (S3_ENDPOINT && S3_BUCKET && S3_ACCESS_KEY_ID && S3_SECRET_ACCESS_KEY) {
    return {
      kind: 's3',
      s3: {
        endpoint: S3_ENDPOINT,
        bucket: S3_BUCKET,
        accessKeyId: S3_ACCESS_KEY_ID,
        secretAccessKey: S3_SECRET_ACCESS_KEY,
        region: S3_REGION,
      },
    };
  }
  return { kind: 'fs', dir: vars.FILES_DIR || DEFAULT_FILES_DIR, fs };
}

/**
 * The binding ports on Bun and Deno (what `cloudflareAdapters` is on Workers): files in a folder or an
 * S3 bucket, jobs in the SQLite queue of the same database (`env.DB`, the D1-compatible adapter; call
 * `ensureQueueTable` once at start-up and pump it with `pumpJobs`), and socket pushes from the caller.
 */
export function portableAdapters(options: {
  storage: StorageChoice;
  clock: Clock;
  fetch: typeof fetch;
  realtime: (...args: Parameters<PortAdapters>) => BindingPorts['realtime'];
}): PortAdapters {
  return (env, deps) => {
    const { storage } = options;
    return {
      storage:
        storage.kind === 's3'
          ? s3Storage(storage.s3, { ids: deps.ids, fetch: options.fetch, clock: options.clock })
          : fsStorage(storage.dir, deps.ids, storage.fs),
      jobs: sqlQueue(env.DB, JOBS_QUEUE, { clock: options.clock, ids: deps.ids }),
      realtime: options.realtime(env, deps),
    };
  };
}
