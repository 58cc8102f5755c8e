import { sha256Hex } from '../lib/crypto';
import type { IdGenerator } from '../lib/ids';
import { checkUpload, type FileStorage, type MultipartStorage } from './files';
import { assertPartList, assertStorageKey, bytesOf, isStorageKey, refusedParts } from './storage-keys';

/**
 * The few filesystem calls the filesystem storage makes, injected so this module stays Web-standard
 * (the runtime passes node:fs/promises, which Bun and Deno both serve; tests pass a map in memory).
 * Paths are `/`-joined. A missing file is `null` (reads) or nothing (removals), never an error.
 */
export interface FileSystem {
  readFile(path: string): Promise<Uint8Array | null>;
  /** A stream of the file and its size, or null when it is missing. */
  openRead(path: string): Promise<{ body: ReadableStream; size: number } | null>;
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
  appendFile(path: string, bytes: Uint8Array): Promise<void>;
  /** Moves a file over another one atomically (same filesystem). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file, or a folder and everything in it. */
  remove(path: string): Promise<void>;
  /** Creates a folder and its parents. */
  mkdir(path: string): Promise<void>;
}

/** R2's smallest part (every part but the last): 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/'));
const UPLOAD_ID = /^[A-Za-z0-9_-]{16,64}$/;

interface UploadManifest {
  key: string;
  contentType: string;
}

/**
 * Files under `dir`, the same way R2 keeps them: random keys (`<purpose>/<192 random bits>`), checked
 * uploads, and multipart uploads whose parts wait in `<dir>/.multipart/<upload id>/` until they are
 * joined. Every write lands in a temporary file first and is renamed into place, so a reader never
 * sees half an object. Keys are validated before they become paths (no `..`, no absolute paths).
 */
export function fsStorage(
  dir: string,
  ids: IdGenerator,
  fs: FileSystem,
  options: { minPartBytes?: number } = {},
): FileStorage {
  const root = dir.replace(/\/+$/, '');
  const pathOf = (key: string) => {
    assertStorageKey(key);
    return `${root}/${key}`;
  };
  const scratch = `${root}/.tmp`;
  const store = async (key: string, bytes: Uint8Array) => {
    const target = pathOf(key);
    const temp = `${scratch}/${ids.token(16)}`;
    await fs.mkdir(scratch);
    await fs.writeFile(temp, bytes);
    await fs.mkdir(parentOf(target));
    await fs.rename(temp, target);
  };
  return {
    async put(purpose, bytes) {
      const contentType = checkUpload(purpose, bytes);
      const key = `${purpose}/${ids.token(24)}`;
      const sha256 = await sha256Hex(bytes);
      await store(key, bytes);
      return { key, contentType, size: bytes.byteLength, sha256 };
    },
    async get(key) {
      return isStorageKey(key) ? fs.openRead(pathOf(key)) : null;
    },
    async delete(key) {
      if (isStorageKey(key)) await fs.remove(pathOf(key));
    },
    multipart: fsMultipart(root, ids, fs, options.minPartBytes ?? MIN_PART_BYTES),
  };
}

function fsMultipart(root: string, ids: IdGenerator, fs: FileSystem, minPartBytes: number): MultipartStorage {
  const folderOf = (uploadId: string) => {
    if (!UPLOAD_ID.test(uploadId)) throw refusedParts('Unknown upload');
    return `${root}/.multipart/${uploadId}`;
  };
  /** The upload's folder once its manifest names `key`; refused otherwise (unknown, finished, another key). */
  const openUpload = async (key: string, uploadId: string) => {
    assertStorageKey(key);
    const folder = folderOf(uploadId);
    const manifest = await fs.readFile(`${folder}/upload.json`);
    const parsed = manifest ? (JSON.parse(new TextDecoder().decode(manifest)) as UploadManifest) : null;
    if (parsed?.key !== key) throw refusedParts('Unknown upload');
    return folder;
  };
  const etagOf = async (bytes: Uint8Array) => (await sha256Hex(bytes)).slice(0, 32);
  return {
    async create(key, contentType) {
      assertStorageKey(key);
      const uploadId = ids.token(24);
      const folder = folderOf(uploadId);
      await fs.mkdir(folder);
      const manifest: UploadManifest = { key, contentType };
      await fs.writeFile(`${folder}/upload.json`, new TextEncoder().encode(JSON.stringify(manifest)));
      return uploadId;
    },
    async uploadPart(key, uploadId, partNumber, body) {
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
        throw refusedParts(`Part number ${partNumber} is not between 1 and 10000`);
      }
      const folder = await openUpload(key, uploadId);
      const bytes = await bytesOf(body);
      await fs.writeFile(`${folder}/part-${partNumber}`, bytes);
      return { partNumber, etag: await etagOf(bytes) };
    },
    async complete(key, uploadId, parts) {
      assertPartList(parts);
      const folder = await openUpload(key, uploadId);
      // A file of this completion's own: two completions at once never append into one file.
      const joined = `${folder}/joined-${ids.token(8)}`;
      await fs.writeFile(joined, new Uint8Array());
      let size = 0;
      try {
        for (const [i, part] of parts.entries()) {
          const bytes = await fs.readFile(`${folder}/part-${part.partNumber}`);
          if (!bytes || (await etagOf(bytes)) !== part.etag) throw refusedParts(`Part ${part.partNumber} is unknown`);
          if (i < parts.length - 1 && bytes.byteLength < minPartBytes) {
            throw refusedParts(`Part ${part.partNumber} is smaller than ${minPartBytes} bytes`);
          }
          await fs.appendFile(joined, bytes);
          size += bytes.byteLength;
        }
      } catch (err) {
        await fs.remove(joined);
        throw err;
      }
      const target = `${root}/${key}`;
      await fs.mkdir(parentOf(target));
      await fs.rename(joined, target);
      await fs.remove(folder);
      return { size };
    },
    async abort(key, uploadId) {
      let folder: string;
      try {
        folder = await openUpload(key, uploadId);
      } catch {
        return; // Already completed or aborted (or never this key's): nothing left to drop.
      }
      await fs.remove(folder);
    },
  };
}
