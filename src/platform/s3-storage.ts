import { AwsClient } from 'aws4fetch';
import type { Clock } from '../lib/clock';
import { sha256Hex } from '../lib/crypto';
import type { IdGenerator } from '../lib/ids';
import { checkUpload, type FileStorage, type MultipartStorage } from './files';
import { assertPartList, assertStorageKey, bytesOf, isStorageKey, refusedParts } from './storage-keys';

/** An S3-compatible bucket (AWS S3, MinIO, Ceph, R2's S3 API …), addressed path-style. */
export interface S3Config {
  /** The service's origin, e.g. `https://s3.eu-central-1.amazonaws.com` or `http://minio:9000`. */
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Signing region (default `us-east-1`, what MinIO expects; `auto` for R2). */
  region?: string;
}

/** `20260329T003000Z`: the SigV4 timestamp of `date`. */
const amzDate = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The text of the first `<tag>` of an XML answer (S3's answers are flat enough for this). */
export function xmlText(xml: string, tag: string): string | null {
  const match = xml.match(new RegExp(`<${tag}>([^<]*)</${tag}>`));
  return match
    ? match[1]!
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
    : null;
}

/**
 * Object storage over the S3 API, signed with SigV4 (aws4fetch) and sent through the injected `fetch`
 * (the seam tests intercept). The same keys, checks and multipart refusals as the R2 adapter; the
 * Worker still serves the bytes (signed avatar URLs and downloads stay the app's own), so the bucket
 * can stay private.
 */
export function s3Storage(
  config: S3Config,
  deps: { ids: IdGenerator; fetch: typeof fetch; clock: Clock },
): FileStorage {
  const aws = new AwsClient({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    service: 's3',
    region: config.region ?? 'us-east-1',
    retries: 0,
  });
  const base = `${config.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(config.bucket)}`;
  /** Sends one signed request; the payload's hash is always signed (no UNSIGNED-PAYLOAD). */
  const send = async (
    key: string,
    query: string,
    init: { method: string; headers?: Record<string, string>; body?: Uint8Array | string },
  ) => {
    assertStorageKey(key);
    const payload =
      typeof init.body === 'string' ? new TextEncoder().encode(init.body) : (init.body ?? new Uint8Array());
    const signed = await aws.sign(`${base}/${key}${query}`, {
      ...init,
      headers: { ...init.headers, 'x-amz-content-sha256': await sha256Hex(payload) },
      aws: { datetime: amzDate(deps.clock.now()) },
    });
    return deps.fetch(signed);
  };
  const failed = async (what: string, res: Response) =>
    new Error(`S3 ${what} failed: ${res.status} ${xmlText(await res.text(), 'Code') ?? ''}`.trim());

  const multipart: MultipartStorage = {
    async create(key, contentType) {
      const res = await send(key, '?uploads', { method: 'POST', headers: { 'content-type': contentType } });
      const uploadId = res.ok ? xmlText(await res.text(), 'UploadId') : null;
      if (!uploadId) throw await failed('CreateMultipartUpload', res);
      return uploadId;
    },
    async uploadPart(key, uploadId, partNumber, body) {
      const query = `?partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`;
      const bytes = await bytesOf(body);
      const res = await send(key, query, { method: 'PUT', body: bytes });
      const etag = res.headers.get('etag');
      if (!res.ok || !etag) {
        if (res.status === 400 || res.status === 404) throw refusedParts(`Part ${partNumber} was refused`);
        throw await failed('UploadPart', res);
      }
      return { partNumber, etag: etag.replace(/"/g, '') };
    },
    async complete(key, uploadId, parts) {
      assertPartList(parts);
      const xml = `<CompleteMultipartUpload>${parts
        .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>"${xmlEscape(p.etag)}"</ETag></Part>`)
        .join('')}</CompleteMultipartUpload>`;
      const res = await send(key, `?uploadId=${encodeURIComponent(uploadId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: xml,
      });
      // S3 may answer 200 with an <Error> body when the join fails after it started.
      const text = await res.text();
      if (!res.ok || text.includes('<Error>')) {
        throw refusedParts(xmlText(text, 'Message') ?? xmlText(text, 'Code') ?? `S3 answered ${res.status}`);
      }
      const head = await send(key, '', { method: 'HEAD' });
      if (!head.ok) throw await failed('HeadObject', head);
      return { size: Number(head.headers.get('content-length') ?? 0) };
    },
    async abort(key, uploadId) {
      const res = await send(key, `?uploadId=${encodeURIComponent(uploadId)}`, { method: 'DELETE' });
      // Already completed or aborted: nothing left to drop.
      if (!res.ok && res.status !== 404) throw await failed('AbortMultipartUpload', res);
    },
  };

  return {
    async put(purpose, bytes) {
      const contentType = checkUpload(purpose, bytes);
      const key = `${purpose}/${deps.ids.token(24)}`;
      const sha256 = await sha256Hex(bytes);
      const res = await send(key, '', {
        method: 'PUT',
        headers: { 'content-type': contentType, 'x-amz-meta-sha256': sha256 },
        body: bytes,
      });
      if (!res.ok) throw await failed('PutObject', res);
      return { key, contentType, size: bytes.byteLength, sha256 };
    },
    async get(key) {
      if (!isStorageKey(key)) return null;
      const res = await send(key, '', { method: 'GET' });
      if (res.status === 404) return null;
      if (!res.ok || !res.body) throw await failed('GetObject', res);
      return { body: res.body, size: Number(res.headers.get('content-length') ?? 0) };
    },
    async delete(key) {
      if (!isStorageKey(key)) return;
      const res = await send(key, '', { method: 'DELETE' });
      if (!res.ok && res.status !== 404) throw await failed('DeleteObject', res);
    },
    multipart,
  };
}
