import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, doctorRatings, reviewFlags, reviews, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, tokenFor, uniqueId } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { resetSettings, setSetting } from '../../support/settings';

const NOW = new Date('2026-03-23T08:00:00Z');
const clock = fixedClock(NOW);
const api = client({ clock });
const V1 = '/api/v1';
const DAY = 86_400_000;

type Account = Awaited<ReturnType<typeof account>>;

beforeEach(async () => {
  clock.set(NOW);
  await resetSettings();
});

/** A doctor with a unique name and a patient with a completed visit with them. */
async function scene(status: Parameters<typeof insertAppointment>[0]['status'] = 'completed') {
  const { doctor, services } = await practice(NOW);
  const tag = uniqueId('doc').toLowerCase();
  await db
    .update(users)
    .set({ name: `Dr ${tag}` })
    .where(eq(users.id, doctor.user.id));
  const visit = async (patient: Account, s = status, startsAt = '2026-03-10T10:00:00.000Z') =>
    insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt,
      status: s,
    });
  const patient = await account('user', NOW);
  const appointment = await visit(patient);
  return { doctor, patient, appointment, visit, tag };
}

const review = (token: string, appointmentId: string, json: Record<string, unknown>) =>
  api.post(`${V1}/appointments/${appointmentId}/review`, { token, json });

const ratingRow = async (doctorId: string) =>
  (await db.select().from(doctorRatings).where(eq(doctorRatings.doctorId, doctorId)))[0];

describe('POST /appointments/{id}/review', () => {
  it('reviews a completed visit once, stores it, audits it and counts it in the rating, in two round trips', async () => {
    const { doctor, patient, appointment } = await scene();
    const res = await review(patient.token, appointment.id, {
      rating: 4,
      categories: { punctuality: 5, waitTime: 2 },
      comment: 'Clear explanations and a kind manner.',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(tripsOf(res)).toBe(2);
    const view = res.body.data;
    expect(view).toMatchObject({
      appointmentId: appointment.id,
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      rating: 4,
      categories: { punctuality: 5, bedsideManner: null, communication: null, waitTime: 2 },
      status: 'published',
      anonymous: false,
      editableUntil: new Date(NOW.getTime() + 14 * DAY).toISOString(),
    });
    const [stored] = await db.select().from(reviews).where(eq(reviews.id, view.id));
    expect(stored).toMatchObject({ rating: 4, punctuality: 5, waitTime: 2, status: 'published' });
    expect(await ratingRow(doctor.user.id)).toMatchObject({ reviewCount: 1, average: 4, punctuality: 5, waitTime: 2 });
    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, view.id), eq(auditEvents.action, 'review.create')));
    expect(audits).toHaveLength(1);

    const again = await review(patient.token, appointment.id, { rating: 1 });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    expect(await db.select().from(reviews).where(eq(reviews.appointmentId, appointment.id))).toHaveLength(1);
  });

  it('refuses a visit that is not completed (409) and another patient’s or the doctor’s (404), storing nothing', async () => {
    const { doctor, patient, visit } = await scene('confirmed');
    const confirmed = (await db.select().from(reviews).where(eq(reviews.patientId, patient.user.id))).length;
    const pending = await visit(patient, 'confirmed', '2026-03-24T10:00:00.000Z');
    const res = await review(patient.token, pending.id, { rating: 5 });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('INVALID_TRANSITION');

    const completed = await visit(patient, 'completed', '2026-03-11T10:00:00.000Z');
    const stranger = await account('user', NOW);
    const other = await review(stranger.token, completed.id, { rating: 5 });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
    expect((await review(doctor.token, completed.id, { rating: 5 })).status).toBe(403);
    expect(await db.select().from(reviews).where(eq(reviews.patientId, patient.user.id))).toHaveLength(confirmed);
  });

  it('holds a review with contact details or flagged words: not public, not counted', async () => {
    const { doctor, patient, appointment, visit } = await scene();
    const held = await review(patient.token, appointment.id, { rating: 1, comment: 'Call me on +351 912 345 678' });
    expect(held.status).toBe(201);
    expect(held.body.data).toMatchObject({ status: 'held', heldReason: 'contact-details' });
    const second = await visit(patient, 'completed', '2026-03-12T10:00:00.000Z');
    const mail = await review(patient.token, second.id, { rating: 1, comment: 'write to me at a.b@example.com' });
    expect(mail.body.data.heldReason).toBe('contact-details');
    const third = await visit(patient, 'completed', '2026-03-13T10:00:00.000Z');
    const rude = await review(patient.token, third.id, { rating: 1, comment: 'An absolute quack.' });
    expect(rude.body.data).toMatchObject({ status: 'held', heldReason: 'flagged-words' });

    expect(await ratingRow(doctor.user.id)).toMatchObject({ reviewCount: 0, average: null });
    const list = await api.get(`${V1}/doctors/${doctor.user.id}/reviews`);
    expect(list.status).toBe(200);
    expect(list.body.data.items).toEqual([]);
  });
});

describe('PATCH /reviews/{id}', () => {
  it('edits within the window (the rating follows), refuses after it, and another patient gets 404', async () => {
    const { doctor, patient, appointment } = await scene();
    const created = await review(patient.token, appointment.id, { rating: 2, categories: { communication: 2 } });
    const id = created.body.data.id;
    clock.set(new Date(NOW.getTime() + 13 * DAY));
    const token = await tokenFor(patient.user, clock.now());
    const edit = await api.patch(`${V1}/reviews/${id}`, {
      token,
      json: { rating: 5, categories: { communication: 4 } },
    });
    expect(edit.status, JSON.stringify(edit.body)).toBe(200);
    expect(tripsOf(edit)).toBe(2);
    expect(edit.body.data).toMatchObject({ rating: 5, categories: { communication: 4 } });
    expect(await ratingRow(doctor.user.id)).toMatchObject({ reviewCount: 1, average: 5, communication: 4 });

    const stranger = await account('user', clock.now());
    const theirs = await api.patch(`${V1}/reviews/${id}`, { token: stranger.token, json: { rating: 1 } });
    expect(theirs.status).toBe(404);

    // An edit that adds a link holds the review and takes it out of the rating.
    const link = await api.patch(`${V1}/reviews/${id}`, { token, json: { comment: 'see www.example.com' } });
    expect(link.body.data.status).toBe('held');
    expect(await ratingRow(doctor.user.id)).toMatchObject({ reviewCount: 0 });

    clock.set(new Date(NOW.getTime() + 15 * DAY));
    const late = await api.patch(`${V1}/reviews/${id}`, {
      token: await tokenFor(patient.user, clock.now()),
      json: { rating: 1 },
    });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('INVALID_TRANSITION');
    const [stored] = await db.select().from(reviews).where(eq(reviews.id, id));
    expect(stored!.rating).toBe(5);
  });

  it('follows reviews.editWindowDays', async () => {
    await setSetting('reviews.editWindowDays', 0);
    const { patient, appointment } = await scene();
    const created = await review(patient.token, appointment.id, { rating: 3 });
    clock.advance(1000);
    const res = await api.patch(`${V1}/reviews/${created.body.data.id}`, {
      token: await tokenFor(patient.user, clock.now()),
      json: { rating: 4 },
    });
    expect(res.status).toBe(409);
  });
});

describe('moderation', () => {
  it('flags once per user; admins list, hide and restore with a reason; the rating follows', async () => {
    const { doctor, patient, appointment, visit } = await scene();
    const other = await account('user', NOW);
    const otherVisit = await visit(other, 'completed', '2026-03-14T10:00:00.000Z');
    const a = (await review(patient.token, appointment.id, { rating: 5 })).body.data.id;
    const b = (await review(other.token, otherVisit.id, { rating: 3 })).body.data.id;
    expect(await ratingRow(doctor.user.id)).toMatchObject({ reviewCount: 2, average: 4 });

    const flagger = await account('user', NOW);
    const flag = await api.post(`${V1}/reviews/${a}/flag`, { token: flagger.token, json: { reason: 'Fake' } });
    expect(flag.status, JSON.stringify(flag.body)).toBe(201);
    expect(tripsOf(flag)).toBe(2);
    const twice = await api.post(`${V1}/reviews/${a}/flag`, { token: flagger.token, json: { reason: 'Fake' } });
    expect(twice.status).toBe(409);
    expect(await db.select().from(reviewFlags).where(eq(reviewFlags.reviewId, a))).toHaveLength(1);

    const admin = await account('admin', NOW);
    const flagged = await api.get(`${V1}/admin/reviews?status=flagged&limit=100`, { token: admin.token });
    expect(flagged.status).toBe(200);
    expect(tripsOf(flagged)).toBe(1);
    expect(flagged.body.data.items.find((r: { id: string }) => r.id === a)).toMatchObject({ flagCount: 1 });

    const hide = await api.post(`${V1}/admin/reviews/${a}/hide`, {
      token: admin.token,
      json: { reason: 'Not genuine' },
    });
    expect(hide.status, JSON.stringify(hide.body)).toBe(200);
    expect(tripsOf(hide)).toBe(2);
    expect(hide.body.data).toMatchObject({
      status: 'hidden',
      moderation: { reason: 'Not genuine', by: admin.user.id },
    });
    expect(await ratingRow(doctor.user.id)).toMatchObject({ reviewCount: 1, average: 3 });
    expect(
      (await api.post(`${V1}/admin/reviews/${a}/hide`, { token: admin.token, json: { reason: 'x' } })).status,
    ).toBe(409);
    const publicList = await api.get(`${V1}/doctors/${doctor.user.id}/reviews`);
    expect(publicList.body.data.items.map((r: { id: string }) => r.id)).toEqual([b]);

    const restore = await api.post(`${V1}/admin/reviews/${a}/restore`, {
      token: admin.token,
      json: { reason: 'Verified' },
    });
    expect(restore.status).toBe(200);
    expect(restore.body.data.status).toBe('published');
    expect(await ratingRow(doctor.user.id)).toMatchObject({ reviewCount: 2, average: 4 });
    const actions = await db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(eq(auditEvents.resourceId, a));
    expect(actions.map((r) => r.action).sort()).toEqual([
      'review.create',
      'review.flag',
      'review.hide',
      'review.restore',
    ]);
    expect((await api.get(`${V1}/admin/reviews`, { token: patient.token })).status).toBe(403);
  });

  it('releases a held review into the rating', async () => {
    const { doctor, patient, appointment } = await scene();
    const id = (await review(patient.token, appointment.id, { rating: 2, comment: 'see kinwell.health' })).body.data.id;
    const admin = await account('admin', NOW);
    const queue = await api.get(`${V1}/admin/reviews?status=held&limit=100`, { token: admin.token });
    expect(queue.body.data.items.some((r: { id: string }) => r.id === id)).toBe(true);
    const release = await api.post(`${V1}/admin/reviews/${id}/restore`, {
      token: admin.token,
      json: { reason: 'Harmless' },
    });
    expect(release.body.data).toMatchObject({ status: 'published', heldReason: null });
    expect(await ratingRow(doctor.user.id)).toMatchObject({ reviewCount: 1, average: 2 });
    const [audit] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, id), eq(auditEvents.action, 'review.release')));
    expect(audit?.reason).toBe('Harmless');
  });

  it('the author appeals a hidden review once; the doctor replies once', async () => {
    const { doctor, patient, appointment } = await scene();
    const id = (await review(patient.token, appointment.id, { rating: 4, comment: 'Fine.' })).body.data.id;

    const stranger = await account('doctor', NOW);
    expect((await api.post(`${V1}/reviews/${id}/reply`, { token: stranger.token, json: { text: 'Hi' } })).status).toBe(
      404,
    );
    const reply = await api.post(`${V1}/reviews/${id}/reply`, { token: doctor.token, json: { text: 'Thank you.' } });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(tripsOf(reply)).toBe(2);
    expect(reply.body.data.reply.text).toBe('Thank you.');
    const again = await api.post(`${V1}/reviews/${id}/reply`, { token: doctor.token, json: { text: 'Again' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    const list = await api.get(`${V1}/doctors/${doctor.user.id}/reviews`);
    expect(list.body.data.items[0].reply.text).toBe('Thank you.');

    const early = await api.post(`${V1}/reviews/${id}/appeal`, { token: patient.token, json: { text: 'Why?' } });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('INVALID_TRANSITION');
    const admin = await account('admin', NOW);
    await api.post(`${V1}/admin/reviews/${id}/hide`, { token: admin.token, json: { reason: 'Spam' } });
    const appeal = await api.post(`${V1}/reviews/${id}/appeal`, {
      token: patient.token,
      json: { text: 'It is genuine.' },
    });
    expect(appeal.status).toBe(200);
    expect(appeal.body.data.appeal.text).toBe('It is genuine.');
    const second = await api.post(`${V1}/reviews/${id}/appeal`, { token: patient.token, json: { text: 'Please' } });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('CONFLICT');
    const appealed = await api.get(`${V1}/admin/reviews?status=appealed&limit=100`, { token: admin.token });
    expect(appealed.body.data.items.some((r: { id: string }) => r.id === id)).toBe(true);
    const [stored] = await db.select().from(reviews).where(eq(reviews.id, id));
    expect(stored!.appeal).toBe('It is genuine.');
  });
});

describe('GET /doctors/{id}/reviews and the directory', () => {
  it('lists published reviews newest first, an anonymous one without its author, in one round trip', async () => {
    const { doctor, patient, appointment, visit } = await scene();
    await db.update(users).set({ name: 'Maria Patient' }).where(eq(users.id, patient.user.id));
    await review(patient.token, appointment.id, { rating: 5, comment: 'Great.' });
    clock.advance(60_000);
    const later = await visit(patient, 'completed', '2026-03-15T10:00:00.000Z');
    await review(patient.token, later.id, { rating: 3, anonymous: true });
    const res = await api.get(`${V1}/doctors/${doctor.user.id}/reviews`);
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data.items.map((r: { rating: number; author: unknown }) => [r.rating, r.author])).toEqual([
      [3, null],
      [5, { name: 'Maria Patient' }],
    ]);
    expect(JSON.stringify(res.body)).not.toContain(patient.user.id);
    expect((await api.get(`${V1}/doctors/usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE/reviews`)).status).toBe(404);
  });

  it('shows the rating from the minimum count and sorts the directory by it, still in one round trip', async () => {
    await setSetting('reviews.minCountToShow', 2);
    const tag = uniqueId('ranked').toLowerCase();
    const doctors = [];
    const tokens: string[] = [];
    for (const ratings of [[3, 3], [5, 4], [5]]) {
      const s = await scene();
      await db
        .update(users)
        .set({ name: `Dr ${tag} ${doctors.length}` })
        .where(eq(users.id, s.doctor.user.id));
      for (const [i, rating] of ratings.entries()) {
        const patient = await account('user', NOW);
        const v = await s.visit(patient, 'completed', `2026-03-1${i}T10:00:00.000Z`);
        expect((await review(patient.token, v.id, { rating, categories: { punctuality: rating } })).status).toBe(201);
      }
      doctors.push(s.doctor.user.id);
      tokens.push(s.doctor.token);
    }
    const res = await api.get(`${V1}/doctors?search=${tag}&sort=rating`);
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    const items = res.body.data.items as { id: string; rating: { count: number; average: number | null } }[];
    expect(items.map((d) => d.id)).toEqual([doctors[1], doctors[0], doctors[2]]);
    expect(items[0]!.rating).toEqual({
      count: 2,
      average: 4.5,
      categories: { punctuality: 4.5, bedsideManner: null, communication: null, waitTime: null },
    });
    // One review is below the minimum: counted, not shown.
    expect(items[2]!.rating).toEqual({ count: 1, average: null, categories: null });
    const byName = await api.get(`${V1}/doctors?search=${tag}`);
    expect(byName.body.data.items.map((d: { id: string }) => d.id)).toEqual(doctors);

    const profile = await api.get(`${V1}/doctors/${doctors[1]}`);
    expect(tripsOf(profile)).toBe(1);
    expect(profile.body.data.rating).toMatchObject({ count: 2, average: 4.5 });
    // The doctor sees the same rating when managing their profile.
    const own = await api.get(`${V1}/doctors/${doctors[1]}/profile`, { token: tokens[1] });
    expect(own.status).toBe(200);
    expect(own.body.data.rating).toMatchObject({ count: 2, average: 4.5 });
  });
});
