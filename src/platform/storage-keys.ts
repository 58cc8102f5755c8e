import { AppError } from '../lib/errors';
import type { UploadedPart } from './files';

/**
 * A storage key the adapters accept: 1–6 segments of letters, digits, `_` and `-`, joined by `/` (the
 * keys Kinwell makes: `<purpose>/<random token>`, `recordings/<appointment>/<recording>`). Nothing
 * else reaches a path or a URL, so no key climbs out of its folder or bucket.
 */
const KEY = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+){0,5}$/;

export const isStorageKey = (key: string): boolean => key.length <= 512 && KEY.test(key);

/** Throws unless `key` is a storage key (a programming error: keys are never user input). */
export function assertStorageKey(key: string): void {
  if (!isStorageKey(key)) throw new Error(`Not a storage key: ${JSON.stringify(key)}`);
}

/** The storage refusing a multipart completion, as the R2 adapter reports it. */
export function refusedParts(message: string): AppError {
  return new AppError('VALIDATION_FAILED', 'The storage refused the parts', {
    fields: [{ field: 'parts', message }],
  });
}

/** Checks a completion's part list as R2 and S3 do: not empty, part numbers 1–10000 in ascending order. */
export function assertPartList(parts: UploadedPart[]): void {
  if (!parts.length) throw refusedParts('No parts given');
  parts.forEach((part, i) => {
    if (!Number.isInteger(part.partNumber) || part.partNumber < 1 || part.partNumber > 10_000) {
      throw refusedParts(`Part number ${part.partNumber} is not between 1 and 10000`);
    }
    if (i > 0 && part.partNumber <= parts[i - 1]!.partNumber) throw refusedParts('Parts must be in ascending order');
  });
}

/** The bytes of a part body (a stream or bytes). */
export async function bytesOf(body: ReadableStream | Uint8Array): Promise<Uint8Array> {
  return body instanceof Uint8Array ? body : new Uint8Array(await new Response(body).arrayBuffer());
}
