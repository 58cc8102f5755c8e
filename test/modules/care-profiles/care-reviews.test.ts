import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { careSessionReviews } from '../../../src/db/schema';
import { db, tokenFor, uniqueId } from '../../helpers';
import { STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { api, careSession, expectOk, listedCaregiver, northOf, patient, reviewed, tag, tripsOf, V1 } from './support';

const review = (sessionId: string, token: string, json: Record<string, unknown>) =>
  api.post(`${V1}/care-sessions/${sessionId}/review`, { token, json });

const storedReviews = (sessionId: string) =>
  db.select().from(careSessionReviews).where(eq(careSessionReviews.sessionId, sessionId)).all();

describe('care session reviews', () => {
  it('Should store the review in two round trips and show the rating in the profile, the search and the review list', async () => {
    const t = tag();
    const lat = Math.round(Math.random() * 1200 - 600) / 10;
    const lng = Math.round(Math.random() * 3400 - 1700) / 10;
    const cara = await listedCaregiver(`Cara ${t}`, {
      serviceLocation: { address: 'Somewhere', ...northOf(lat, lng, 1) },
      serviceRadiusKm: 5,
    });
    const p = await patient();
    const session = await careSession(p.user.id, cara.user.id);

    const res = await review(session, p.token, { rating: 4, comment: 'Kind and punctual.' });
    const created = expectOk(res, 201);
    expect(tripsOf(res)).toBe(2);
    expect(created).toMatchObject({
      sessionId: session,
      caregiverId: cara.user.id,
      rating: 4,
      comment: 'Kind and punctual.',
    });
    expect(await storedReviews(session)).toHaveLength(1);

    await reviewed(cara.user.id, 5);
    await reviewed(cara.user.id, 5);

    const profile = expectOk(await api.get(`${V1}/caregivers/${cara.user.id}/profile`, { token: cara.token }));
    expect(profile).toMatchObject({ ratingAverage: 4.67, ratingCount: 3 });

    const found = expectOk(await api.get(`${V1}/caregivers/search?lat=${lat}&lng=${lng}`));
    expect(found.items).toHaveLength(1);
    expect(found.items[0]).toMatchObject({ id: cara.user.id, ratingAverage: 4.67, ratingCount: 3 });

    const listRes = await api.get(`${V1}/caregivers/${cara.user.id}/reviews?limit=2`);
    const list = expectOk(listRes);
    expect(tripsOf(listRes)).toBe(1);
    expect(list.pagination).toMatchObject({ total: 3, current: 1, hasNext: true });
    expect(list.items).toHaveLength(2);
    const all = expectOk(await api.get(`${V1}/caregivers/${cara.user.id}/reviews?limit=10`));
    // Newest first, without any author.
    expect(all.items.at(-1)).toEqual({
      id: created.id,
      rating: 4,
      comment: 'Kind and punctual.',
      createdAt: created.createdAt,
    });
    expect(JSON.stringify(all)).not.toContain('Paula');
    expect(JSON.stringify(all)).not.toContain(p.user.id);
  });

  it('Should answer 404 to anyone but the patient, 409 before completion and to a second review', async () => {
    const t = tag();
    const cara = await listedCaregiver(`Cara ${t}`);
    const p = await patient();
    const other = await patient();
    const session = await careSession(p.user.id, cara.user.id);

    // The patient of another session, and the caregiver herself.
    await careSession(other.user.id, cara.user.id);
    for (const token of [other.token]) {
      const res = await review(session, token, { rating: 5 });
      expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
    }
    const caregiverTries = await review(session, cara.token, { rating: 5 });
    expect([403, 404]).toContain(caregiverTries.status);
    const missing = await review(uniqueId('cse'), p.token, { rating: 5 });
    expect(missing.status).toBe(404);

    const confirmed = await careSession(p.user.id, cara.user.id, 'confirmed');
    const early = await review(confirmed, p.token, { rating: 5 });
    expect([early.status, early.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(await storedReviews(confirmed)).toHaveLength(0);

    expectOk(await review(session, p.token, { rating: 5 }), 201);
    const again = await review(session, p.token, { rating: 1 });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await storedReviews(session)).map((r) => r.rating)).toEqual([5]);
    const profile = expectOk(await api.get(`${V1}/caregivers/${cara.user.id}/profile`, { token: cara.token }));
    expect(profile).toMatchObject({ ratingAverage: 5, ratingCount: 1 });
  });

  it('Should refuse a rating out of range or a bad comment and store nothing', async () => {
    const t = tag();
    const cara = await listedCaregiver(`Cara ${t}`);
    const p = await patient();
    const session = await careSession(p.user.id, cara.user.id);
    for (const json of [
      { rating: 0 },
      { rating: 6 },
      { rating: 4.5 },
      {},
      { rating: 5, comment: 'x'.repeat(2001) },
      { rating: 5, patientId: 'usr_x' },
    ]) {
      const res = await review(session, p.token, json);
      expect([res.status, res.body.error.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
    }
    expect(await storedReviews(session)).toHaveLength(0);
    const profile = expectOk(await api.get(`${V1}/caregivers/${cara.user.id}/profile`, { token: cara.token }));
    expect(profile).toMatchObject({ ratingAverage: null, ratingCount: 0 });
  });

  it('Should list reviews only of a listed caregiver', async () => {
    const res = await api.get(`${V1}/caregivers/${uniqueId('usr')}/reviews`);
    expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it("Should erase a patient's reviews (recomputing the rating) and a caregiver's received ones", async () => {
    const t = tag();
    const cara = await listedCaregiver(`Cara ${t}`);
    const leaving = await userWithPassword({ role: 'user' });
    const session = await careSession(leaving.id, cara.user.id);
    expectOk(await review(session, await tokenFor(leaving), { rating: 1 }), 201);
    await reviewed(cara.user.id, 5);
    const before = expectOk(await api.get(`${V1}/caregivers/${cara.user.id}/profile`, { token: cara.token }));
    expect(before).toMatchObject({ ratingAverage: 3, ratingCount: 2 });

    const res = await api.delete(`${V1}/users/me`, {
      token: await tokenFor(leaving),
      json: { password: STRONG_PASSWORD },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await db.select().from(careSessionReviews).where(eq(careSessionReviews.patientId, leaving.id))).toEqual([]);
    const after = expectOk(await api.get(`${V1}/caregivers/${cara.user.id}/profile`, { token: cara.token }));
    expect(after).toMatchObject({ ratingAverage: 5, ratingCount: 1 });

    const gone = await userWithPassword({ role: 'caregiver', name: `Gone ${t}` });
    const goneToken = await tokenFor(gone);
    expectOk(await api.patch(`${V1}/caregivers/${gone.id}/profile`, { token: goneToken, json: { bio: 'Hi' } }));
    await reviewed(gone.id, 4);
    const erased = await api.delete(`${V1}/users/me`, { token: goneToken, json: { password: STRONG_PASSWORD } });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(await db.select().from(careSessionReviews).where(eq(careSessionReviews.caregiverId, gone.id))).toEqual([]);
  });
});
