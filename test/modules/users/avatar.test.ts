import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { auditEvents, files, userProfiles, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, createUser, db, form, SAMPLE, signedInUser, testEnv, tokenFor } from '../../helpers';
import { resetSettings, setSetting } from '../../support/settings';

const api = client();
const AVATAR = '/api/v1/users/me/avatar';
const MiB = 1024 * 1024;

type Api = ReturnType<typeof client>;

function upload(token: string, bytes: Uint8Array, name = 'me.png', using: Api = api) {
  return using.put(AVATAR, { token, body: form({ file: new Blob([bytes]) }, name) });
}

/** A signed URL as an app would use it, requested without any token. */
function fetchSigned(url: string, using: Api = api) {
  const { pathname, search } = new URL(url);
  return using.get(`${pathname}${search}`);
}

/** The raw response of a signed URL, to read the image bytes. */
async function fetchBytes(url: string) {
  const { pathname, search } = new URL(url);
  const res = await api.app.request(`${pathname}${search}`, {}, testEnv);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

const avatarFiles = (ownerId: string) =>
  db
    .select()
    .from(files)
    .where(and(eq(files.ownerId, ownerId), eq(files.purpose, 'avatar')))
    .all();
const profileOf = (userId: string) => db.select().from(userProfiles).where(eq(userProfiles.userId, userId)).get();

describe('avatar upload', () => {
  it('Should store a PNG avatar in R2, point the profile at it and answer a signed URL that serves the bytes', async () => {
    const { user, token } = await signedInUser();
    const res = await upload(token, SAMPLE.png());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const avatar = res.body.data.avatar;
    expect(avatar.fileId).toMatch(/^fil_[0-9A-Z]{26}$/);
    expect(avatar.url).toMatch(
      new RegExp(`^http://localhost/api/v1/avatars/${avatar.fileId}\\?expires=\\d+&signature=[0-9a-f]{64}$`),
    );
    const [row] = await avatarFiles(user.id);
    expect(row).toMatchObject({ id: avatar.fileId, contentType: 'image/png', size: SAMPLE.png().byteLength });
    expect(await testEnv.FILES.head(row!.storageKey)).not.toBeNull();
    expect((await profileOf(user.id))?.avatarFileId).toBe(avatar.fileId);
    const audit = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, user.id), eq(auditEvents.action, 'user.avatar_update')))
      .all();
    expect(audit).toHaveLength(1);

    // The URL works with no token: the image, its type, and a private cache lifetime of at most an hour.
    const { res: image, bytes } = await fetchBytes(avatar.url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('cache-control')).toMatch(/^private, max-age=(3[0-5]\d\d|3600)$/);
    expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    expect([...bytes]).toEqual([...SAMPLE.png()]);

    // GET /users/me shows the same avatar with a fresh URL.
    const me = await api.get('/api/v1/users/me', { token });
    expect(me.body.data.profile.avatar).toMatchObject({ fileId: avatar.fileId });
    expect((await fetchSigned(me.body.data.profile.avatar.url)).status).toBe(200);

    // A profile update answers the account with the avatar too, built from its one read batch.
    const updated = await api.patch('/api/v1/users/me', { token, json: { name: 'Ana Avatar', bloodGroup: 'A+' } });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.data.user.name).toBe('Ana Avatar');
    expect(updated.body.data.profile).toMatchObject({ bloodGroup: 'A+', avatar: { fileId: avatar.fileId } });
    expect((await fetchSigned(updated.body.data.profile.avatar.url)).status).toBe(200);
    // The same account read again; its signed URL is minted per read (its expiry follows the clock,
    // which may have crossed a second meanwhile), so it is compared by file.
    const byFile = (data: any) => ({
      ...data,
      profile: { ...data.profile, avatar: { fileId: data.profile.avatar.fileId } },
    });
    expect(byFile((await api.get('/api/v1/users/me', { token })).body.data)).toEqual(byFile(updated.body.data));
  });

  it('Should replace an avatar, deleting the old row and R2 object; the old URL stops working', async () => {
    const { user, token } = await signedInUser();
    const first = (await upload(token, SAMPLE.png())).body.data.avatar;
    const oldKey = (await avatarFiles(user.id))[0]!.storageKey;
    const webp = new Uint8Array([
      ...new TextEncoder().encode('RIFF'),
      0,
      0,
      0,
      0,
      ...new TextEncoder().encode('WEBPVP8 '),
    ]);
    const second = await upload(token, webp, 'me.webp');
    expect(second.status).toBe(200);
    expect(second.body.data.avatar.fileId).not.toBe(first.fileId);
    const rows = await avatarFiles(user.id);
    expect(rows.map((r) => r.id)).toEqual([second.body.data.avatar.fileId]);
    expect(rows[0]!.contentType).toBe('image/webp');
    expect(await testEnv.FILES.head(oldKey)).toBeNull();
    expect((await fetchSigned(first.url)).status).toBe(404);
    expect((await fetchSigned(second.body.data.avatar.url)).status).toBe(200);
  });

  it.each([
    ['a PDF', SAMPLE.pdf(), 'me.png'],
    ['an EXE', SAMPLE.exe(), 'me.png'],
  ])('Should refuse %s with 415 INVALID_FILE_TYPE, storing nothing', async (_label, bytes, name) => {
    const { user, token } = await signedInUser();
    const res = await upload(token, bytes, name);
    expect([res.status, res.body.error.code]).toEqual([415, 'INVALID_FILE_TYPE']);
    expect(await avatarFiles(user.id)).toEqual([]);
    expect(await profileOf(user.id)).toBeUndefined();
  });

  it('Should refuse an image over 5 MiB with 413 FILE_TOO_LARGE and a far larger body with 413, storing nothing', async () => {
    const { user, token } = await signedInUser();
    const over = new Uint8Array(5 * MiB + 1);
    over.set(SAMPLE.png());
    const res = await upload(token, over);
    expect([res.status, res.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    const huge = new Uint8Array(6 * MiB);
    huge.set(SAMPLE.png());
    const body = await upload(token, huge);
    expect(body.status).toBe(413);
    expect(await avatarFiles(user.id)).toEqual([]);
    expect(await profileOf(user.id)).toBeUndefined();
  });

  it('Should answer 422 without a file, 415 for a JSON body, and 401 anonymously', async () => {
    const { token } = await signedInUser();
    const missing = await api.put(AVATAR, { token, body: form({ note: 'no file' }) });
    expect([missing.status, missing.body.errors[0].field]).toEqual([422, 'file']);
    const text = await api.put(AVATAR, { token, body: form({ file: 'not a file' }) });
    expect([text.status, text.body.errors[0].field]).toEqual([422, 'file']);
    const json = await api.put(AVATAR, { token, json: { file: 'aGVsbG8=' } });
    expect([json.status, json.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const anonymous = await api.put(AVATAR, { body: form({ file: new Blob([SAMPLE.png()]) }) });
    expect(anonymous.status).toBe(401);
  });
});

describe('avatar removal', () => {
  it('Should remove the avatar, its row and object; the URL stops working; a second removal is 404', async () => {
    const { user, token } = await signedInUser();
    const avatar = (await upload(token, SAMPLE.png())).body.data.avatar;
    const key = (await avatarFiles(user.id))[0]!.storageKey;
    const res = await api.delete(AVATAR, { token });
    expect(res.status).toBe(200);
    expect(await avatarFiles(user.id)).toEqual([]);
    expect(await testEnv.FILES.head(key)).toBeNull();
    expect((await profileOf(user.id))?.avatarFileId).toBeNull();
    expect((await fetchSigned(avatar.url)).status).toBe(404);
    expect((await api.get('/api/v1/users/me', { token })).body.data.profile.avatar).toBeNull();
    const again = await api.delete(AVATAR, { token });
    expect([again.status, again.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await api.delete(AVATAR)).status).toBe(401);
  });
});

describe('signed avatar URLs', () => {
  it("Should give a signed-in user a working URL for another user's avatar", async () => {
    const owner = await signedInUser();
    const viewer = await signedInUser();
    await upload(owner.token, SAMPLE.png());
    const res = await api.get(`/api/v1/users/${owner.user.id}/avatar-url`, { token: viewer.token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.data).sort()).toEqual(['expiresAt', 'url']);
    expect((await fetchSigned(res.body.data.url)).status).toBe(200);
    expect((await api.get(`/api/v1/users/${owner.user.id}/avatar-url`)).status).toBe(401);
  });

  it('Should answer 404 for a user without an avatar, an unknown user and a deleted user; 422 for a bad id', async () => {
    const { token } = await signedInUser();
    const plain = await createUser();
    expect((await api.get(`/api/v1/users/${plain.id}/avatar-url`, { token })).status).toBe(404);
    const unknown = await api.get('/api/v1/users/usr_00000000000000000000000000/avatar-url', { token });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const gone = await signedInUser();
    await upload(gone.token, SAMPLE.png());
    await db.update(users).set({ status: 'removed' }).where(eq(users.id, gone.user.id));
    expect((await api.get(`/api/v1/users/${gone.user.id}/avatar-url`, { token })).status).toBe(404);
    expect((await api.get('/api/v1/users/nope/avatar-url', { token })).status).toBe(422);
  });

  it('Should answer a tampered signature, a signature moved to another file or expiry, and junk with 404', async () => {
    const a = await signedInUser();
    const b = await signedInUser();
    const urlA = new URL((await upload(a.token, SAMPLE.png())).body.data.avatar.url);
    const urlB = new URL((await upload(b.token, SAMPLE.png())).body.data.avatar.url);
    const sigA = urlA.searchParams.get('signature')!;
    const flipped = `${sigA.slice(0, -1)}${sigA.endsWith('0') ? '1' : '0'}`;
    const variants = [
      `${urlA.pathname}?expires=${urlA.searchParams.get('expires')}&signature=${flipped}`,
      `${urlB.pathname}?expires=${urlA.searchParams.get('expires')}&signature=${sigA}`,
      `${urlA.pathname}?expires=${Number(urlA.searchParams.get('expires')) + 3600}&signature=${sigA}`,
      `${urlA.pathname}?expires=soon&signature=${sigA}`,
      `${urlA.pathname}?expires=${urlA.searchParams.get('expires')}&signature=x`,
    ];
    for (const path of variants) {
      const res = await api.get(path);
      expect([res.status, res.body.error?.code], path).toEqual([404, 'NOT_FOUND']);
    }
    const unsigned = await api.get(urlA.pathname);
    expect(unsigned.status).toBe(422);
    expect((await api.get(`${urlA.pathname}${urlA.search}`)).status).toBe(200);
  });

  it('Should stop serving a URL after an hour (injected clock)', async () => {
    const clock = fixedClock('2026-04-10T08:00:00Z');
    const timed = client({ clock });
    const user = await createUser();
    const token = await tokenFor(user, clock.now());
    const res = await upload(token, SAMPLE.png(), 'me.png', timed);
    expect(res.status).toBe(200);
    expect(res.body.data.avatar.expiresAt).toBe('2026-04-10T09:00:00.000Z');
    clock.advance(59 * 60_000);
    const late = await fetchSigned(res.body.data.avatar.url, timed);
    expect(late.status).toBe(200);
    expect(late.headers.get('cache-control')).toBe('private, max-age=60');
    clock.advance(2 * 60_000);
    const expired = await fetchSigned(res.body.data.avatar.url, timed);
    expect([expired.status, expired.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('avatar upload: the uploads.maxAvatarMb setting', () => {
  afterEach(resetSettings);

  /** A PNG of exactly `bytes` bytes. */
  function pngOf(bytes: number): Uint8Array {
    const png = new Uint8Array(bytes);
    png.set(SAMPLE.png());
    return png;
  }
  const avatarObjects = async () => (await testEnv.FILES.list({ prefix: 'avatar/' })).objects.length;

  it('Should refuse an avatar above the setting with 413 FILE_TOO_LARGE, storing nothing, and accept it once raised', async () => {
    const { user, token } = await signedInUser();
    await setSetting('uploads.maxAvatarMb', 1);
    const objects = await avatarObjects();

    const res = await upload(token, pngOf(2 * MiB));
    expect([res.status, res.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect(res.body.error.details).toEqual({ maxBytes: MiB, size: 2 * MiB });
    expect(await avatarFiles(user.id)).toEqual([]);
    expect(await profileOf(user.id)).toBeUndefined();
    expect(await avatarObjects()).toBe(objects);
    const audit = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, user.id), eq(auditEvents.action, 'user.avatar_update')))
      .all();
    expect(audit).toEqual([]);

    // Exactly the limit is accepted.
    const edge = await upload(token, pngOf(MiB));
    expect(edge.status, JSON.stringify(edge.body)).toBe(200);
    expect(await avatarFiles(user.id)).toMatchObject([{ size: MiB }]);

    await setSetting('uploads.maxAvatarMb', 2);
    const raised = await upload(token, pngOf(2 * MiB));
    expect(raised.status, JSON.stringify(raised.body)).toBe(200);
    expect(await avatarFiles(user.id)).toMatchObject([{ id: raised.body.data.avatar.fileId, size: 2 * MiB }]);
    const over = await upload(token, pngOf(2 * MiB + 1));
    expect([over.status, over.body.error.code, over.body.error.details?.maxBytes]).toEqual([
      413,
      'FILE_TOO_LARGE',
      2 * MiB,
    ]);
    expect((await profileOf(user.id))?.avatarFileId).toBe(raised.body.data.avatar.fileId);
  });

  it("Should accept up to 5 MiB at the setting's maximum of 5 and refuse a byte more", async () => {
    const { user, token } = await signedInUser();
    await setSetting('uploads.maxAvatarMb', 5);
    expect((await upload(token, pngOf(5 * MiB))).status).toBe(200);
    const over = await upload(token, pngOf(5 * MiB + 1));
    expect([over.status, over.body.error.code, over.body.error.details]).toEqual([
      413,
      'FILE_TOO_LARGE',
      { maxBytes: 5 * MiB, size: 5 * MiB + 1 },
    ]);
    expect(await avatarFiles(user.id)).toMatchObject([{ size: 5 * MiB }]);
  });
});
