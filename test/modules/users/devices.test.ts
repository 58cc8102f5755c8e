import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deviceTokens } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { MAX_DEVICES_PER_USER } from '../../../src/modules/users/devices.service';
import { client, db, signedInUser, uniqueId } from '../../helpers';

const api = client();
const DEVICES = '/api/v1/users/me/devices';

/** A unique token shaped like an FCM registration token. */
const fcmToken = () => `${uniqueId('d').slice(2)}:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8-OvPVGJ_hQ`;

const rowsOf = (userId: string) => db.select().from(deviceTokens).where(eq(deviceTokens.userId, userId)).all();
const rowByToken = (token: string) => db.select().from(deviceTokens).where(eq(deviceTokens.token, token)).get();

describe('devices', () => {
  it('Should register a device with 201 and never show the token, only a masked tail', async () => {
    const { user, token } = await signedInUser();
    const fcm = fcmToken();
    const res = await api.post(DEVICES, { token, json: { token: fcm, platform: 'android', deviceName: 'Pixel 8' } });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      platform: 'android',
      deviceName: 'Pixel 8',
      maskedToken: `…${fcm.slice(-6)}`,
    });
    expect(res.body.data.id).toMatch(/^dev_[0-9A-Z]{26}$/);
    expect(JSON.stringify(res.body)).not.toContain(fcm.slice(0, 20));
    const rows = await rowsOf(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: res.body.data.id, token: fcm, platform: 'android', deviceName: 'Pixel 8' });

    const list = await api.get(DEVICES, { token });
    expect(list.status).toBe(200);
    expect(list.body.data.items).toEqual([res.body.data]);
    expect(list.body.data.pagination).toMatchObject({ total: 1, current: 1, pages: 1, limit: 20 });
    expect(JSON.stringify(list.body)).not.toContain(fcm.slice(0, 20));
  });

  it('Should answer 200 for a token I already hold, refreshing lastSeenAt and platform, keeping one row', async () => {
    const clock = fixedClock(new Date());
    const timed = client({ clock });
    const { user, token } = await signedInUser();
    const fcm = fcmToken();
    const first = await timed.post(DEVICES, { token, json: { token: fcm, platform: 'web', deviceName: 'Laptop' } });
    expect(first.status).toBe(201);
    clock.advance(5_000);
    const again = await timed.post(DEVICES, { token, json: { token: fcm, platform: 'android' } });
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, platform: 'android', deviceName: 'Laptop' });
    const rows = await rowsOf(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.lastSeenAt - rows[0]!.createdAt).toBe(5_000);
    expect(rows[0]!.createdAt).toBe(new Date(first.body.data.createdAt).getTime());
  });

  it("Should move a token to the caller when another account held it, so the old owner's pushes stop", async () => {
    const previous = await signedInUser();
    const next = await signedInUser();
    const fcm = fcmToken();
    const old = await api.post(DEVICES, {
      token: previous.token,
      json: { token: fcm, platform: 'ios', deviceName: "Ana's iPhone" },
    });
    expect(old.status).toBe(201);

    const moved = await api.post(DEVICES, { token: next.token, json: { token: fcm, platform: 'ios' } });
    expect(moved.status).toBe(201);
    expect(moved.body.data.id).not.toBe(old.body.data.id);
    expect(moved.body.data.deviceName).toBeNull();

    const row = await rowByToken(fcm);
    expect(row).toMatchObject({ id: moved.body.data.id, userId: next.user.id, deviceName: null });
    expect(await db.$count(deviceTokens, eq(deviceTokens.token, fcm))).toBe(1);
    expect(await rowsOf(previous.user.id)).toEqual([]);
    expect((await api.get(DEVICES, { token: previous.token })).body.data.items).toEqual([]);
    expect((await api.get(DEVICES, { token: next.token })).body.data.items.map((d: any) => d.id)).toEqual([
      moved.body.data.id,
    ]);
    // The old owner's id refers to nothing they own any more.
    const del = await api.delete(`${DEVICES}/${old.body.data.id}`, { token: previous.token });
    expect([del.status, del.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(await rowByToken(fcm)).toMatchObject({ userId: next.user.id });
  });

  it(`Should keep at most ${MAX_DEVICES_PER_USER} devices, forgetting the least recently seen`, async () => {
    const clock = fixedClock(new Date());
    const timed = client({ clock });
    const { user, token } = await signedInUser();
    const tokens: string[] = [];
    for (let i = 0; i < MAX_DEVICES_PER_USER; i++) {
      const fcm = fcmToken();
      tokens.push(fcm);
      expect((await timed.post(DEVICES, { token, json: { token: fcm, platform: 'android' } })).status).toBe(201);
      clock.advance(1_000);
    }
    // Seeing the oldest again makes the second oldest the least recently seen.
    expect((await timed.post(DEVICES, { token, json: { token: tokens[0], platform: 'android' } })).status).toBe(200);
    clock.advance(1_000);
    const extra = fcmToken();
    const res = await timed.post(DEVICES, { token, json: { token: extra, platform: 'web' } });
    expect(res.status).toBe(201);

    const stored = (await rowsOf(user.id)).map((r) => r.token);
    expect(stored).toHaveLength(MAX_DEVICES_PER_USER);
    expect(stored).toContain(extra);
    expect(stored).toContain(tokens[0]);
    expect(stored).not.toContain(tokens[1]);
    expect(await rowByToken(tokens[1]!)).toBeUndefined();
    const list = await timed.get(`${DEVICES}?limit=100`, { token });
    expect(list.body.data.pagination.total).toBe(MAX_DEVICES_PER_USER);
    expect(list.body.data.items[0].id).toBe(res.body.data.id);
  });

  it('Should refuse bad bodies with 422 and store nothing', async () => {
    const { user, token } = await signedInUser();
    const other = await signedInUser();
    const cases: [unknown, string][] = [
      [{ platform: 'android' }, 'token'],
      [{ token: fcmToken() }, 'platform'],
      [{ token: 1234567890123456, platform: 'android' }, 'token'],
      [{ token: fcmToken(), platform: 'symbian' }, 'platform'],
      [{ token: 'too-short', platform: 'android' }, 'token'],
      [{ token: 'a'.repeat(4097), platform: 'android' }, 'token'],
      [{ token: `${fcmToken()}/../x`, platform: 'android' }, 'token'],
      [{ token: `${fcmToken()} withspace`, platform: 'android' }, 'token'],
      [{ token: fcmToken(), platform: 'android', deviceName: 'x'.repeat(101) }, 'deviceName'],
      [{ token: fcmToken(), platform: 'android', deviceName: 42 }, 'deviceName'],
    ];
    for (const [json, field] of cases) {
      const res = await api.post(DEVICES, { token, json });
      expect(res.status, JSON.stringify(json).slice(0, 80)).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    // Mass assignment: naming another account is refused outright.
    const sneaky = await api.post(DEVICES, {
      token,
      json: { token: fcmToken(), platform: 'android', userId: other.user.id },
    });
    expect(sneaky.status).toBe(422);
    expect(sneaky.body.errors).toEqual([{ field: 'userId', message: 'This field cannot be set here' }]);
    expect(await rowsOf(user.id)).toEqual([]);
    expect(await rowsOf(other.user.id)).toEqual([]);

    const maxed = await api.post(DEVICES, { token, json: { token: 'a'.repeat(4096), platform: 'android' } });
    expect(maxed.status).toBe(201);
  });

  it('Should refuse malformed JSON and a non-JSON body without storing anything', async () => {
    const { user, token } = await signedInUser();
    const broken = await api.post(DEVICES, {
      token,
      body: '{"token":',
      headers: { 'content-type': 'application/json' },
    });
    expect([broken.status, broken.body.error.code]).toEqual([400, 'INVALID_JSON']);
    const text = await api.post(DEVICES, { token, body: 'token=x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(await rowsOf(user.id)).toEqual([]);
  });

  it('Should delete my device, 404 on another account’s (row untouched) and 422 on a malformed id', async () => {
    const owner = await signedInUser();
    const other = await signedInUser();
    const fcm = fcmToken();
    const id = (await api.post(DEVICES, { token: owner.token, json: { token: fcm, platform: 'ios' } })).body.data.id;

    const foreign = await api.delete(`${DEVICES}/${id}`, { token: other.token });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(await rowByToken(fcm)).toMatchObject({ id, userId: owner.user.id });

    const malformed = await api.delete(`${DEVICES}/dev_nope`, { token: owner.token });
    expect([malformed.status, malformed.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    const wrongPrefix = await api.delete(`${DEVICES}/${id.replace('dev_', 'fil_')}`, { token: owner.token });
    expect(wrongPrefix.status).toBe(422);

    const mine = await api.delete(`${DEVICES}/${id}`, { token: owner.token });
    expect(mine.status).toBe(200);
    expect(mine.body.data).toEqual({ id });
    expect(await rowByToken(fcm)).toBeUndefined();
    expect((await api.delete(`${DEVICES}/${id}`, { token: owner.token })).status).toBe(404);
  });

  it('Should only ever list my own devices and validate pagination', async () => {
    const a = await signedInUser();
    const b = await signedInUser();
    await api.post(DEVICES, { token: a.token, json: { token: fcmToken(), platform: 'web' } });
    await api.post(DEVICES, { token: b.token, json: { token: fcmToken(), platform: 'web' } });
    const list = await api.get(DEVICES, { token: a.token });
    expect(list.body.data.items).toHaveLength(1);
    const ids = list.body.data.items.map((d: { id: string }) => d.id);
    const owned = await db
      .select()
      .from(deviceTokens)
      .where(and(eq(deviceTokens.userId, a.user.id), eq(deviceTokens.id, ids[0])))
      .get();
    expect(owned).toBeDefined();
    expect((await api.get(`${DEVICES}?limit=101`, { token: a.token })).status).toBe(422);
    expect((await api.get(`${DEVICES}?page=0`, { token: a.token })).status).toBe(422);
  });

  it('Should refuse anonymous callers with 401', async () => {
    const id = 'dev_01JF8ZS5X0V6M3A2Q9K1T7B4CE';
    for (const res of [
      await api.get(DEVICES),
      await api.post(DEVICES, { json: { token: fcmToken(), platform: 'web' } }),
      await api.delete(`${DEVICES}/${id}`),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
  });
});
