import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { doctorRatings, reviewFlags, reviews } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, form, SAMPLE, tokenFor } from '../../helpers';
import { STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { account, insertAppointment, practice } from '../../support/practice';

const NOW = new Date('2026-03-23T08:00:00Z');
const api = client({ clock: fixedClock(NOW) });
const V1 = '/api/v1';

describe('reviews and account erasure', () => {
  it("removes an erased patient's reviews and flags, and recomputes the doctor's rating in the same batch", async () => {
    const { doctor, services } = await practice(NOW);
    const visit = (patientId: string, startsAt: string) =>
      insertAppointment({
        patientId,
        doctorId: doctor.user.id,
        serviceId: services[0]!.id,
        startsAt,
        status: 'completed',
      });
    const leaving = await userWithPassword();
    const leavingToken = await tokenFor(leaving, NOW);
    const staying = await account('user', NOW);
    const mine = await visit(leaving.id, '2026-03-10T10:00:00.000Z');
    const theirs = await visit(staying.user.id, '2026-03-11T10:00:00.000Z');
    const a = await api.post(`${V1}/appointments/${mine.id}/review`, { token: leavingToken, json: { rating: 1 } });
    const b = await api.post(`${V1}/appointments/${theirs.id}/review`, { token: staying.token, json: { rating: 5 } });
    expect([a.status, b.status]).toEqual([201, 201]);
    // The leaving patient flags the other review; someone flags theirs.
    const flagger = await account('user', NOW);
    await api.post(`${V1}/reviews/${b.body.data.id}/flag`, { token: leavingToken, json: { reason: 'Fake' } });
    await api.post(`${V1}/reviews/${a.body.data.id}/flag`, { token: flagger.token, json: { reason: 'Rude' } });
    expect((await db.select().from(doctorRatings).where(eq(doctorRatings.doctorId, doctor.user.id)))[0]).toMatchObject({
      reviewCount: 2,
      average: 3,
    });

    const res = await api.delete(`${V1}/users/me`, { token: leavingToken, json: { password: STRONG_PASSWORD } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);

    expect(await db.select().from(reviews).where(eq(reviews.patientId, leaving.id))).toEqual([]);
    expect(await db.select().from(reviewFlags).where(eq(reviewFlags.userId, leaving.id))).toEqual([]);
    expect(await db.select().from(reviewFlags).where(eq(reviewFlags.reviewId, a.body.data.id))).toEqual([]);
    const [kept] = await db.select().from(reviews).where(eq(reviews.id, b.body.data.id));
    expect(kept!.flagCount).toBe(0);
    expect((await db.select().from(doctorRatings).where(eq(doctorRatings.doctorId, doctor.user.id)))[0]).toMatchObject({
      reviewCount: 1,
      average: 5,
    });
    const list = await api.get(`${V1}/doctors/${doctor.user.id}/reviews`);
    expect(list.body.data.items.map((r: { id: string }) => r.id)).toEqual([b.body.data.id]);
  });
});

describe('review photos', () => {
  it('takes one of my images (purpose content) and refuses anyone else’s file with 422, storing nothing', async () => {
    const { doctor, services } = await practice(NOW);
    const patient = await account('user', NOW);
    const other = await account('user', NOW);
    const visit = await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-03-10T10:00:00.000Z',
      status: 'completed',
    });
    const upload = async (token: string) => {
      const res = await api.post(`${V1}/files`, {
        token,
        body: form({ purpose: 'content', file: new Blob([SAMPLE.png()]) }, 'p.png'),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.data.id as string;
    };
    const foreign = await upload(other.token);
    const refused = await api.post(`${V1}/appointments/${visit.id}/review`, {
      token: patient.token,
      json: { rating: 4, photoFileId: foreign },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['photoFileId']);
    expect(await db.select().from(reviews).where(eq(reviews.appointmentId, visit.id))).toEqual([]);

    const own = await upload(patient.token);
    const res = await api.post(`${V1}/appointments/${visit.id}/review`, {
      token: patient.token,
      json: { rating: 4, photoFileId: own },
    });
    expect(res.status).toBe(201);
    expect(res.body.data.photoFileId).toBe(own);

    // The public sees the photo of a published review, without a token; not once it is hidden.
    const photo = await api.get(`${V1}/reviews/${res.body.data.id}/photo`);
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/png');
    const admin = await account('admin', NOW);
    const hidden = await api.post(`${V1}/admin/reviews/${res.body.data.id}/hide`, {
      token: admin.token,
      json: { reason: 'Shows another patient' },
    });
    expect(hidden.status, JSON.stringify(hidden.body)).toBe(200);
    expect((await api.get(`${V1}/reviews/${res.body.data.id}/photo`)).status).toBe(404);
    expect((await api.get(`${V1}/reviews/rev_00000000000000000000000000/photo`)).status).toBe(404);
  });
});
