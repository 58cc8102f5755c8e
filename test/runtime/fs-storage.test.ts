import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock';
import { sha256Hex } from '../../src/lib/crypto';
import { createIds } from '../../src/lib/ids';
import type { FileStorage } from '../../src/platform/files';
import { type FileSystem, fsStorage } from '../../src/platform/fs-storage';
import type { PortAdapters } from '../../src/platform/ports';
import { cloudflareAdapters, cloudflareDeps } from '../../src/runtime/cloudflare';
import { nodeFileSystem } from '../../src/runtime/portable/node-fs';
import { client, form, SAMPLE, signedInUser, testEnv } from '../helpers';

/** A filesystem in memory: files by path (folders are implied). */
function memoryFs(): FileSystem & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    readFile: async (path) => files.get(path) ?? null,
    openRead: async (path) => {
      const bytes = files.get(path);
      return bytes ? { body: new Blob([bytes]).stream(), size: bytes.byteLength } : null;
    },
    writeFile: async (path, bytes) => {
      files.set(path, Uint8Array.from(bytes));
    },
    appendFile: async (path, bytes) => {
      const before = files.get(path) ?? new Uint8Array();
      const joined = new Uint8Array(before.byteLength + bytes.byteLength);
      joined.set(before);
      joined.set(bytes, before.byteLength);
      files.set(path, joined);
    },
    rename: async (from, to) => {
      const bytes = files.get(from);
      if (!bytes) throw new Error(`ENOENT ${from}`);
      files.delete(from);
      files.set(to, bytes);
    },
    remove: async (path) => {
      for (const key of [...files.keys()]) if (key === path || key.startsWith(`${path}/`)) files.delete(key);
    },
    mkdir: async () => {},
  };
}

const ids = createIds(fixedClock('2026-03-29T10:00:00Z'), cloudflareDeps.random);
const read = async (storage: FileStorage, key: string) => {
  const object = await storage.get(key);
  return object ? { size: object.size, bytes: new Uint8Array(await new Response(object.body).arrayBuffer()) } : null;
};
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('filesystem storage', () => {
  it('Should store a checked upload under a random key, read it back and delete it', async () => {
    const fs = memoryFs();
    const storage = fsStorage('/data/files/', ids, fs);
    const stored = await storage.put('avatar', SAMPLE.png());
    expect(stored).toEqual({
      key: expect.stringMatching(/^avatar\/[A-Za-z0-9_-]{32}$/),
      contentType: 'image/png',
      size: SAMPLE.png().byteLength,
      sha256: await sha256Hex(SAMPLE.png()),
    });
    expect([...fs.files.keys()]).toEqual([`/data/files/${stored.key}`]);
    expect(await read(storage, stored.key)).toEqual({ size: SAMPLE.png().byteLength, bytes: SAMPLE.png() });
    await storage.delete(stored.key);
    expect(await read(storage, stored.key)).toBeNull();
    await storage.delete(stored.key); // gone already: nothing
  });

  it('Should refuse what R2 refuses and store nothing', async () => {
    const fs = memoryFs();
    const storage = fsStorage('/data', ids, fs);
    await expect(storage.put('avatar', new TextEncoder().encode('not an image'))).rejects.toMatchObject({
      code: 'INVALID_FILE_TYPE',
    });
    expect(fs.files.size).toBe(0);
  });

  it('Should never turn a key into a path outside its folder', async () => {
    const fs = memoryFs();
    fs.files.set('/etc/passwd', bytes(3, 1));
    fs.files.set('/data/.multipart/x/upload.json', bytes(3, 1));
    const storage = fsStorage('/data', ids, fs);
    for (const key of [
      '../etc/passwd',
      '../../etc/passwd',
      '/etc/passwd',
      'avatar/../../etc/passwd',
      '.multipart/x/upload.json',
      'a//b',
      '',
    ]) {
      expect(await storage.get(key), key).toBeNull();
      await storage.delete(key);
      await expect(storage.multipart!.create(key, 'video/webm'), key).rejects.toThrow('Not a storage key');
    }
    expect(fs.files.size).toBe(2);
  });

  it('Should join multipart parts on completion, with the same refusals as R2', async () => {
    const fs = memoryFs();
    const storage = fsStorage('/data', ids, fs, { minPartBytes: 4 });
    const multipart = storage.multipart!;
    const key = 'recordings/apt_1/rec_1';
    const uploadId = await multipart.create(key, 'video/webm');
    const one = await multipart.uploadPart(key, uploadId, 1, bytes(4, 1));
    const two = await multipart.uploadPart(key, uploadId, 2, new Blob([bytes(2, 2)]).stream());
    expect(one).toEqual({ partNumber: 1, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });

    const refused = { code: 'VALIDATION_FAILED' };
    await expect(multipart.uploadPart(key, uploadId, 0, bytes(4, 1))).rejects.toMatchObject(refused);
    await expect(multipart.uploadPart(key, uploadId, 10_001, bytes(4, 1))).rejects.toMatchObject(refused);
    await expect(multipart.uploadPart('recordings/apt_1/other', uploadId, 3, bytes(4, 1))).rejects.toMatchObject(
      refused,
    );
    await expect(multipart.complete(key, uploadId, [])).rejects.toMatchObject(refused);
    await expect(multipart.complete(key, uploadId, [two, one])).rejects.toMatchObject(refused);
    await expect(multipart.complete(key, uploadId, [one, { partNumber: 3, etag: two.etag }])).rejects.toMatchObject(
      refused,
    );
    await expect(multipart.complete(key, uploadId, [one, { ...two, etag: one.etag }])).rejects.toMatchObject(refused);
    // Every part but the last is at least the smallest part size.
    await expect(multipart.complete(key, uploadId, [two, { partNumber: 3, etag: one.etag }])).rejects.toMatchObject(
      refused,
    );
    await expect(multipart.complete(key, 'not-an-upload-id-at-all', [one, two])).rejects.toMatchObject(refused);
    expect(await read(storage, key)).toBeNull();
    // Refused completions leave only the upload's manifest and parts.
    expect([...fs.files.keys()].map((path) => path.split('/').pop()).sort()).toEqual([
      'part-1',
      'part-2',
      'upload.json',
    ]);

    expect(await multipart.complete(key, uploadId, [one, two])).toEqual({ size: 6 });
    expect(await read(storage, key)).toEqual({ size: 6, bytes: Uint8Array.from([1, 1, 1, 1, 2, 2]) });
    expect([...fs.files.keys()]).toEqual([`/data/${key}`]);
    // Finished: completing or adding parts again is refused, aborting does nothing.
    await expect(multipart.complete(key, uploadId, [one, two])).rejects.toMatchObject(refused);
    await multipart.abort(key, uploadId);
    expect(await read(storage, key)).not.toBeNull();
  });

  it('Should drop an aborted upload and its parts', async () => {
    const fs = memoryFs();
    const multipart = fsStorage('/data', ids, fs).multipart!;
    const uploadId = await multipart.create('recordings/a/b', 'video/webm');
    await multipart.uploadPart('recordings/a/b', uploadId, 1, bytes(10, 1));
    await multipart.abort('recordings/a/other', uploadId); // another key's: kept
    expect(fs.files.size).toBe(2);
    await multipart.abort('recordings/a/b', uploadId);
    expect(fs.files.size).toBe(0);
    await multipart.abort('recordings/a/b', uploadId);
  });

  it('Should serve uploads and their signed avatar URLs unchanged through the app', async () => {
    const fs = memoryFs();
    const adapters: PortAdapters = (env, deps) => ({
      ...cloudflareAdapters(env, deps),
      storage: fsStorage('/data', deps.ids, fs),
    });
    const api = client({ adapters });
    const { token } = await signedInUser();
    const res = await api.put('/api/v1/users/me/avatar', { token, body: form({ file: new Blob([SAMPLE.png()]) }) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect([...fs.files.keys()]).toEqual([expect.stringMatching(/^\/data\/avatar\//)]);

    const { pathname, search } = new URL(res.body.data.avatar.url);
    const served = await api.app.request(`${pathname}${search}`, {}, testEnv);
    expect(served.status).toBe(200);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(SAMPLE.png());
    const forged = await api.app.request(`${pathname}${search.replace(/signature=./, 'signature=x')}`, {}, testEnv);
    expect(forged.status).not.toBe(200);
  });
});

describe('node:fs filesystem', () => {
  it('Should store, join and remove real files (the calls Bun and Deno serve)', async () => {
    const storage = fsStorage(`/tmp/kinwell-files-${ids.token(6)}`, ids, nodeFileSystem, { minPartBytes: 4 });
    const stored = await storage.put('content', SAMPLE.png());
    expect(await read(storage, stored.key)).toEqual({ size: SAMPLE.png().byteLength, bytes: SAMPLE.png() });
    const key = 'recordings/apt_1/rec_1';
    const uploadId = await storage.multipart!.create(key, 'video/webm');
    const parts = [
      await storage.multipart!.uploadPart(key, uploadId, 1, bytes(4, 7)),
      await storage.multipart!.uploadPart(key, uploadId, 2, bytes(1, 8)),
    ];
    expect(await storage.multipart!.complete(key, uploadId, parts)).toEqual({ size: 5 });
    expect(await read(storage, key)).toEqual({ size: 5, bytes: Uint8Array.from([7, 7, 7, 7, 8]) });
    await storage.delete(stored.key);
    expect(await read(storage, stored.key)).toBeNull();
  });
});
