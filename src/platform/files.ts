import type { FilePurpose } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';

/** Content types Kinwell accepts, recognised by their leading bytes, never by the client's header. */
export type SniffedType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif' | 'application/pdf' | 'video/webm';

const startsWith = (bytes: Uint8Array, sig: number[], offset = 0) => sig.every((b, i) => bytes[offset + i] === b);
const ascii = (text: string) => [...text].map((ch) => ch.charCodeAt(0));

/**
 * The content type of `bytes` from its magic number, or null when it is none Kinwell accepts.
 * @example sniffContentType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) // 'image/png'
 */
export function sniffContentType(bytes: Uint8Array): SniffedType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return 'video/webm';
  return null;
}

const MiB = 1024 * 1024;
const IMAGES: SniffedType[] = ['image/jpeg', 'image/png', 'image/webp'];

/** What each kind of upload may be: its largest size and its accepted types. */
export const UPLOAD_RULES: Record<FilePurpose, { maxBytes: number; types: SniffedType[] }> = {
  avatar: { maxBytes: 5 * MiB, types: IMAGES },
  // Appointment attachments: photos and scans only, as the booking form promises.
  attachment: { maxBytes: 10 * MiB, types: ['image/jpeg', 'image/png', 'application/pdf'] },
  'lab-report': { maxBytes: 10 * MiB, types: [...IMAGES, 'application/pdf'] },
  support: { maxBytes: 10 * MiB, types: [...IMAGES, 'application/pdf'] },
  content: { maxBytes: 25 * MiB, types: [...IMAGES, 'image/gif', 'application/pdf'] },
  recording: { maxBytes: 100 * MiB, types: ['video/webm'] },
};

/** The largest upload of any purpose: the body limit of upload routes. */
export const MAX_UPLOAD_BYTES = Math.max(...Object.values(UPLOAD_RULES).map((r) => r.maxBytes));

export interface StoredObject {
  key: string;
  contentType: SniffedType;
  size: number;
  sha256: string;
}

/** Port: object storage for uploads. */
export interface FileStorage {
  /**
   * Validates and stores bytes under a random key.
   * @throws AppError FILE_TOO_LARGE past the purpose's limit, INVALID_FILE_TYPE for an unaccepted type.
   */
  put(purpose: FilePurpose, bytes: Uint8Array): Promise<StoredObject>;
  get(key: string): Promise<{ body: ReadableStream; size: number } | null>;
  delete(key: string): Promise<void>;
  /** Multipart uploads under a key the caller chose (call recordings); absent where the runtime has none. */
  multipart?: MultipartStorage;
}

/** One uploaded part of a multipart upload, as the completion names it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/**
 * Port: an object written in parts (R2 multipart: parts 1–10000, each at least 5 MiB but the last),
 * for uploads too large for one request. The caller keeps the key and the upload id.
 */
export interface MultipartStorage {
  /** Starts an upload and answers its id. */
  create(key: string, contentType: string): Promise<string>;
  /** Stores one part (a body of known length) and answers its etag. */
  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: ReadableStream | Uint8Array,
  ): Promise<UploadedPart>;
  /**
   * Joins the parts into the object and answers its size.
   * @throws AppError VALIDATION_FAILED when the storage refuses the parts (unknown, out of order, too small)
   */
  complete(key: string, uploadId: string, parts: UploadedPart[]): Promise<{ size: number }>;
  /** Drops an unfinished upload and its parts (nothing when it is already gone). */
  abort(key: string, uploadId: string): Promise<void>;
}

/** Checks an upload against its purpose's rules and returns its sniffed type. */
export function checkUpload(purpose: FilePurpose, bytes: Uint8Array): SniffedType {
  const rules = UPLOAD_RULES[purpose];
  if (bytes.byteLength > rules.maxBytes) {
    throw new AppError('FILE_TOO_LARGE', `A ${purpose} file may be at most ${rules.maxBytes} bytes`, {
      details: { maxBytes: rules.maxBytes, size: bytes.byteLength },
    });
  }
  const type = sniffContentType(bytes);
  if (!type || !rules.types.includes(type)) {
    throw new AppError('INVALID_FILE_TYPE', `A ${purpose} file must be one of: ${rules.types.join(', ')}`, {
      details: { accepted: rules.types },
    });
  }
  return type;
}

/** R2 adapter. Keys are `<purpose>/<192 random bits>`: unguessable and free of user input. */
export function r2Storage(bucket: R2Bucket, ids: IdGenerator): FileStorage {
  return {
    async put(purpose, bytes) {
      const contentType = checkUpload(purpose, bytes);
      const key = `${purpose}/${ids.token(24)}`;
      const sha256 = await sha256Hex(bytes);
      await bucket.put(key, bytes, { httpMetadata: { contentType }, customMetadata: { sha256 } });
      return { key, contentType, size: bytes.byteLength, sha256 };
    },
    async get(key) {
      const object = await bucket.get(key);
      return object ? { body: object.body, size: object.size } : null;
    },
    async delete(key) {
      await bucket.delete(key);
    },
    multipart: r2Multipart(bucket),
  };
}

/** R2 multipart uploads, resumed by key and upload id on every call (no state between requests). */
export function r2Multipart(bucket: R2Bucket): MultipartStorage {
  return {
    async create(key, contentType) {
      const upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType } });
      return upload.uploadId;
    },
    async uploadPart(key, uploadId, partNumber, body) {
      const part = await bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, body);
      return { partNumber: part.partNumber, etag: part.etag };
    },
    async complete(key, uploadId, parts) {
      try {
        const object = await bucket.resumeMultipartUpload(key, uploadId).complete(parts);
        return { size: object.size };
      } catch (err) {
        throw new AppError('VALIDATION_FAILED', 'The storage refused the parts', {
          fields: [{ field: 'parts', message: err instanceof Error ? err.message : String(err) }],
        });
      }
    },
    async abort(key, uploadId) {
      try {
        await bucket.resumeMultipartUpload(key, uploadId).abort();
      } catch {
        // Already completed or aborted: nothing left to drop.
      }
    },
  };
}
