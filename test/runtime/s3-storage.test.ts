import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock';
import { sha256Hex } from '../../src/lib/crypto';
import { createIds } from '../../src/lib/ids';
import { s3Storage, xmlText } from '../../src/platform/s3-storage';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { SAMPLE } from '../helpers';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** An S3 endpoint in a test: records each signed request and answers with `respond`. */
function s3(respond: (req: Request) => Response | Promise<Response>) {
  const sent: Sent[] = [];
  const clock = fixedClock('2026-03-29T10:00:00Z');
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const body =
      req.method === 'GET' || req.method === 'HEAD' ? '' : new TextDecoder().decode(await req.clone().arrayBuffer());
    sent.push({ method: req.method, url: req.url, headers: Object.fromEntries(req.headers), body });
    return respond(req);
  }) as typeof globalThis.fetch;
  const storage = s3Storage(
    {
      endpoint: 'https://s3.example.test/',
      bucket: 'kinwell-files',
      accessKeyId: 'AKIDTEST',
      secretAccessKey: 'secret',
    },
    { ids: createIds(clock, cloudflareDeps.random), fetch, clock },
  );
  return { storage, sent };
}

/** Every request is signed with SigV4 for the S3 service at the injected clock's time. */
function expectSigned(req: Sent) {
  expect(req.headers.authorization).toMatch(
    /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/20260329\/us-east-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
  );
  expect(req.headers['x-amz-date']).toBe('20260329T100000Z');
  expect(req.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
}

const BASE = 'https://s3.example.test/kinwell-files';

describe('S3-compatible storage', () => {
  it('Should put a checked upload under a random key, get it and delete it, with signed requests', async () => {
    const objects = new Map<string, Uint8Array>();
    const { storage, sent } = s3(async (req) => {
      const key = new URL(req.url).pathname.replace('/kinwell-files/', '');
      if (req.method === 'PUT') objects.set(key, new Uint8Array(await req.arrayBuffer()));
      if (req.method === 'DELETE') objects.delete(key);
      if (req.method === 'GET') {
        const bytes = objects.get(key);
        return bytes
          ? new Response(bytes, { headers: { 'content-length': String(bytes.byteLength) } })
          : new Response('<Error><Code>NoSuchKey</Code></Error>', { status: 404 });
      }
      return new Response(null, { status: req.method === 'DELETE' ? 204 : 200 });
    });
    const stored = await storage.put('avatar', SAMPLE.png());
    const sha256 = await sha256Hex(SAMPLE.png());
    expect(stored).toEqual({
      key: expect.stringMatching(/^avatar\/[A-Za-z0-9_-]{32}$/),
      contentType: 'image/png',
      size: SAMPLE.png().byteLength,
      sha256,
    });
    expect(sent[0]).toMatchObject({ method: 'PUT', url: `${BASE}/${stored.key}` });
    expect(sent[0]!.headers).toMatchObject({ 'content-type': 'image/png', 'x-amz-meta-sha256': sha256 });
    expect(sent[0]!.headers['x-amz-content-sha256']).toBe(sha256);

    const object = await storage.get(stored.key);
    expect(object?.size).toBe(SAMPLE.png().byteLength);
    expect(new Uint8Array(await new Response(object!.body).arrayBuffer())).toEqual(SAMPLE.png());
    await storage.delete(stored.key);
    expect(await storage.get(stored.key)).toBeNull();
    await storage.delete(stored.key);
    expect(sent.map((r) => r.method)).toEqual(['PUT', 'GET', 'DELETE', 'GET', 'DELETE']);
    sent.forEach(expectSigned);
  });

  it('Should refuse a bad upload and a key outside the bucket without sending anything', async () => {
    const { storage, sent } = s3(() => new Response(null));
    await expect(storage.put('avatar', new TextEncoder().encode('text'))).rejects.toMatchObject({
      code: 'INVALID_FILE_TYPE',
    });
    expect(await storage.get('../other-bucket/secret')).toBeNull();
    await storage.delete('avatar/../../x');
    await expect(storage.multipart!.create('a/../b', 'video/webm')).rejects.toThrow('Not a storage key');
    expect(sent).toEqual([]);
  });

  it('Should upload in parts: create, upload each part, complete (XML) and read the size', async () => {
    const { storage, sent } = s3((req) => {
      const url = new URL(req.url);
      if (req.method === 'POST' && url.searchParams.has('uploads')) {
        return new Response(
          '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>kinwell-files</Bucket><Key>recordings/apt_1/rec_1</Key><UploadId>VXBsb2FkIElE&amp;x</UploadId></InitiateMultipartUploadResult>',
        );
      }
      if (req.method === 'PUT')
        return new Response(null, { headers: { etag: `"etag-${url.searchParams.get('partNumber')}"` } });
      if (req.method === 'POST') {
        return new Response(
          '<CompleteMultipartUploadResult><Key>recordings/apt_1/rec_1</Key><ETag>"x-2"</ETag></CompleteMultipartUploadResult>',
        );
      }
      if (req.method === 'HEAD') return new Response(null, { headers: { 'content-length': '6291456' } });
      return new Response(null, { status: 204 });
    });
    const multipart = storage.multipart!;
    const key = 'recordings/apt_1/rec_1';
    const uploadId = await multipart.create(key, 'video/webm');
    expect(uploadId).toBe('VXBsb2FkIElE&x');
    const one = await multipart.uploadPart(key, uploadId, 1, new Uint8Array(5).fill(1));
    const two = await multipart.uploadPart(key, uploadId, 2, new Blob([new Uint8Array(2)]).stream());
    expect([one, two]).toEqual([
      { partNumber: 1, etag: 'etag-1' },
      { partNumber: 2, etag: 'etag-2' },
    ]);
    expect(await multipart.complete(key, uploadId, [one, two])).toEqual({ size: 6291456 });
    await multipart.abort(key, uploadId);

    const upload = `uploadId=${encodeURIComponent(uploadId)}`;
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST ${BASE}/${key}?uploads`,
      `PUT ${BASE}/${key}?partNumber=1&${upload}`,
      `PUT ${BASE}/${key}?partNumber=2&${upload}`,
      `POST ${BASE}/${key}?${upload}`,
      `HEAD ${BASE}/${key}`,
      `DELETE ${BASE}/${key}?${upload}`,
    ]);
    expect(sent[0]!.headers['content-type']).toBe('video/webm');
    expect(sent[2]!.headers['x-amz-content-sha256']).toBe(await sha256Hex(new Uint8Array(2)));
    expect(sent[3]!.body).toBe(
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"etag-1"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"etag-2"</ETag></Part></CompleteMultipartUpload>',
    );
    sent.forEach(expectSigned);
  });

  it('Should turn S3 refusing the parts (also inside a 200 answer) into VALIDATION_FAILED', async () => {
    const refused = { code: 'VALIDATION_FAILED' };
    const entityTooSmall =
      '<Error><Code>EntityTooSmall</Code><Message>Your proposed upload is smaller than the minimum allowed object size.</Message></Error>';
    for (const answer of [
      () => new Response(entityTooSmall, { status: 400 }),
      () => new Response(entityTooSmall, { status: 200 }),
    ]) {
      const { storage, sent } = s3(answer);
      const error = await storage
        .multipart!.complete('recordings/a/b', 'up', [{ partNumber: 1, etag: 'e' }])
        .catch((err) => err);
      expect(error).toMatchObject(refused);
      expect(error.fields).toEqual([{ field: 'parts', message: expect.stringContaining('smaller than the minimum') }]);
      expect(sent).toHaveLength(1);
    }
    const { storage, sent } = s3(() => new Response(null));
    await expect(storage.multipart!.complete('recordings/a/b', 'up', [])).rejects.toMatchObject(refused);
    await expect(
      storage.multipart!.complete('recordings/a/b', 'up', [
        { partNumber: 2, etag: 'a' },
        { partNumber: 1, etag: 'b' },
      ]),
    ).rejects.toMatchObject(refused);
    expect(sent).toEqual([]);
  });

  it('Should fail loudly when S3 fails, and treat an abort of a finished upload as done', async () => {
    const { storage } = s3((req) =>
      req.method === 'DELETE'
        ? new Response('<Error><Code>NoSuchUpload</Code></Error>', { status: 404 })
        : new Response('<Error><Code>InternalError</Code></Error>', { status: 500 }),
    );
    await expect(storage.put('avatar', SAMPLE.png())).rejects.toThrow('S3 PutObject failed: 500 InternalError');
    await expect(storage.get('avatar/x')).rejects.toThrow('S3 GetObject failed: 500 InternalError');
    await expect(storage.multipart!.create('recordings/a/b', 'video/webm')).rejects.toThrow(
      'S3 CreateMultipartUpload failed',
    );
    await storage.multipart!.abort('recordings/a/b', 'up');
  });

  it('Should read the text of an XML element, unescaped', () => {
    expect(xmlText('<R><UploadId>a&amp;b&lt;c</UploadId></R>', 'UploadId')).toBe('a&b<c');
    expect(xmlText('<R/>', 'UploadId')).toBeNull();
  });
});
