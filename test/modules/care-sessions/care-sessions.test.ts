import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type DeliverPayload, NOTIFY_DELIVER } from '../../../src/access/notices';
import {
  auditEvents,
  caregiverHours,
  careSessionEvents,
  careSessions,
  payments,
  reminders,
  slotClaims,
} from '../../../src/db/schema';
import { db } from '../../helpers';
import { insertAppointment, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { link } from '../caregivers/network';
import { BERLIN_WEEKDAYS, booking, careWorld, NOW, TUESDAY_9, V1 } from './support';

const HOUR = 3_600_000;
const sessionRow = async (id: string) => (await db.select().from(careSessions).where(eq(careSessions.id, id)))[0];
const claimsOf = (id: string) => db.select().from(slotClaims).where(eq(slotClaims.ownerId, id));
const pendingReminders = (id: string) =>
  db
    .select()
    .from(reminders)
    .where(
      and(eq(reminders.subjectType, 'care-session'), eq(reminders.subjectId, id), eq(reminders.status, 'pending')),
    );
const delivered = (w: ReturnType<typeof careWorld>) =>
  w.queue.take(NOTIFY_DELIVER).map((job) => job.payload as DeliverPayload);
const slotStarts = (res: { body: any }) => (res.body.data.slots as { start: string }[]).map((s) => s.start);

describe('caregiver availability and free sessions', () => {
  it('Should store weekly hours and offer sessions of a length inside them, in the caregiver’s zone, in one round trip', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const mine = await cara.get(`${V1}/caregivers/me/availability`);
    expect(mine.status).toBe(200);
    expect(mine.body.data).toMatchObject({ timeZone: 'Europe/Berlin', bufferMinutes: 30 });
    expect(mine.body.data.weeklyHours).toHaveLength(5);

    const res = await w.app.get(`${V1}/caregivers/${cara.user.id}/slots?from=2026-03-24&durationMinutes=120`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(tripsOf(res)).toBe(1);
    const starts = slotStarts(res);
    // 08:00–18:00 Berlin (UTC+1) on the half hour, two hours long: 07:00Z … 15:00Z.
    expect(starts[0]).toBe('2026-03-24T07:00:00.000Z');
    expect(starts.at(-1)).toBe('2026-03-24T15:00:00.000Z');
    expect(starts).toHaveLength(17);
    expect(res.body.data.slots[0].localStart).toBe('2026-03-24T08:00');
    // Saturday: no hours.
    const saturday = await w.app.get(`${V1}/caregivers/${cara.user.id}/slots?from=2026-03-28&durationMinutes=60`);
    expect(saturday.body.data.slots).toEqual([]);
  });

  it('Should refuse overlapping hours, a length off the quarter hour, and answer 404 for a caregiver who is not bookable', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const overlapping = await cara.put(`${V1}/caregivers/me/availability`, {
      ...BERLIN_WEEKDAYS,
      weeklyHours: [
        { weekday: 1, start: '08:00', end: '12:00' },
        { weekday: 1, start: '11:00', end: '14:00' },
      ],
    });
    expect(overlapping.status).toBe(422);
    expect(await db.select().from(caregiverHours).where(eq(caregiverHours.caregiverId, cara.user.id))).toHaveLength(5);

    const odd = await w.app.get(`${V1}/caregivers/${cara.user.id}/slots?from=2026-03-24&durationMinutes=50`);
    expect(odd.status).toBe(422);
    const noRate = await w.person('caregiver');
    expect((await noRate.put(`${V1}/caregivers/me/availability`, BERLIN_WEEKDAYS)).status).toBe(200);
    const unbookable = await w.app.get(`${V1}/caregivers/${noRate.user.id}/slots?from=2026-03-24&durationMinutes=60`);
    expect(unbookable.status).toBe(404);
    const patient = await w.person('user');
    expect((await patient.put(`${V1}/caregivers/me/availability`, BERLIN_WEEKDAYS)).status).toBe(403);
  });
});

describe('booking a care session', () => {
  it('Should book a requested session in two round trips: rate snapshotted, time claimed, reminders set, the caregiver told', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver('Cara Booked');
    const patient = await w.person('user', 'Pat Patient');
    const res = await patient.post(
      `${V1}/care-sessions`,
      booking(cara.user.id, TUESDAY_9, { notes: 'Morning routine' }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(tripsOf(res)).toBe(2);
    const session = res.body.data;
    expect(session).toMatchObject({
      patientId: patient.user.id,
      caregiverId: cara.user.id,
      bookedBy: patient.user.id,
      status: 'requested',
      mode: 'in-person',
      startsAt: TUESDAY_9,
      endsAt: '2026-03-24T10:00:00.000Z',
      timeZone: 'Europe/Berlin',
      caregiverName: 'Cara Booked',
      bill: { hourlyRateCents: 2500, currency: 'EUR', amountCents: null, payment: null },
    });
    expect(session.id).toMatch(/^cse_/);
    // The session plus the caregiver's 30-minute buffer: 150 minutes of 5-minute units.
    expect(await claimsOf(session.id)).toHaveLength(30);
    // 24 h before is now: only the 1 h reminders are scheduled, one each.
    expect((await pendingReminders(session.id)).map((r) => r.kind).sort()).toEqual([
      'care-session.1h',
      'care-session.1h',
    ]);
    const notices = delivered(w);
    expect(notices.map((n) => n.recipientId)).toEqual([cara.user.id]);
    expect(notices[0]!.notice).toMatchObject({ kind: 'care-session.book', template: 'notice' });
    expect(JSON.stringify(notices[0]!.notice.data)).toContain('Tuesday 2026-03-24 at 09:00 (Europe/Berlin)');

    // The time and its buffer are gone from the slots; 11:30 local (after the buffer) is free.
    const slots = slotStarts(
      await w.app.get(`${V1}/caregivers/${cara.user.id}/slots?from=2026-03-24&durationMinutes=60`),
    );
    expect(slots).not.toContain('2026-03-24T08:00:00.000Z');
    expect(slots).not.toContain('2026-03-24T09:00:00.000Z');
    expect(slots).not.toContain('2026-03-24T09:30:00.000Z');
    expect(slots).toContain('2026-03-24T10:30:00.000Z');

    const [audit] = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, session.id));
    expect(audit).toMatchObject({ action: 'care_session.book', patientId: patient.user.id });
  });

  it('Should refuse bad input and change nothing: no address in person, off the grid, outside hours, unknown caregiver, self', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const patient = await w.person('user');
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...booking(cara.user.id), address: undefined }, 422, 'address'],
      [booking(cara.user.id, '2026-03-24T08:10:00Z'), 422, 'startsAt'],
      [booking(cara.user.id, '2026-03-24T17:00:00Z'), 422, 'startsAt'],
      [booking(cara.user.id, '2026-03-23T08:30:00Z'), 422, 'startsAt'],
      [{ ...booking(cara.user.id), durationMinutes: '120' }, 422, 'durationMinutes'],
      [{ ...booking(cara.user.id), mode: 'teleport' }, 422, 'mode'],
      [{ ...booking(cara.user.id), extra: 1 }, 422, ''],
      [booking('usr_01NOSUCHCAREG1VER000000000'), 404, ''],
    ];
    for (const [body, status, field] of cases) {
      const res = await patient.post(`${V1}/care-sessions`, body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      if (field) expect(JSON.stringify(res.body), JSON.stringify(body)).toContain(field);
    }
    const self = await cara.post(`${V1}/care-sessions`, booking(cara.user.id));
    expect(self.status).toBe(422);
    const big = await patient.post(`${V1}/care-sessions`, { ...booking(cara.user.id), notes: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    expect(await db.select().from(careSessions).where(eq(careSessions.caregiverId, cara.user.id))).toEqual([]);
  });

  it('Should let exactly one of many concurrent overlapping bookings win, and keep the buffer between sessions', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const patients = await Promise.all([1, 2, 3, 4, 5].map(() => w.person('user')));
    // Five patients at once, each a different overlapping start or length.
    const starts = [TUESDAY_9, '2026-03-24T08:30:00Z', '2026-03-24T07:30:00Z', TUESDAY_9, '2026-03-24T09:00:00Z'];
    const results = await Promise.all(
      patients.map((p, i) => p.post(`${V1}/care-sessions`, booking(cara.user.id, starts[i]))),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    for (const lost of results.filter((r) => r.status === 409)) {
      expect(lost.body.error.code).toBe('SLOT_UNAVAILABLE');
      expect(lost.body.error.details.blockedBy).toMatchObject({ type: 'care-session', id: null });
    }
    const stored = await db.select().from(careSessions).where(eq(careSessions.caregiverId, cara.user.id));
    expect(stored).toHaveLength(1);

    // Right after the winner's end, inside its 30-minute buffer: refused; after the buffer: booked.
    const winner = stored[0]!;
    const rest = await w.person('user');
    const tooSoon = await rest.post(
      `${V1}/care-sessions`,
      booking(cara.user.id, new Date(winner.endsAt).toISOString()),
    );
    expect(tooSoon.status).toBe(409);
    const later = await rest.post(
      `${V1}/care-sessions`,
      booking(cara.user.id, new Date(winner.endsAt + 30 * 60_000).toISOString()),
    );
    expect(later.status, JSON.stringify(later.body)).toBe(201);
  });

  it('Should never double-book a caregiver against a doctor’s appointment claim of another person (separate calendars)', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const { doctor, services } = await practice(new Date(NOW));
    await insertAppointment({
      patientId: (await w.person('user')).user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: TUESDAY_9,
      status: 'confirmed',
    });
    // A doctor's appointment at the same time claims the doctor's units, not the caregiver's.
    const patient = await w.person('user');
    expect((await patient.post(`${V1}/care-sessions`, booking(cara.user.id))).status).toBe(201);
  });

  it('Should replay a booking under the same Idempotency-Key and refuse the key with another body', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const patient = await w.person('user');
    const key = { 'idempotency-key': 'care-booking-0001' };
    const first = await patient.post(`${V1}/care-sessions`, booking(cara.user.id), key);
    const again = await patient.post(`${V1}/care-sessions`, booking(cara.user.id), key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.data.id).toBe(first.body.data.id);
    const other = await patient.post(`${V1}/care-sessions`, booking(cara.user.id, '2026-03-25T08:00:00Z'), key);
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await db.select().from(careSessions).where(eq(careSessions.caregiverId, cara.user.id))).toHaveLength(1);
  });

  it('Should let linked family book for the patient and see it, and answer 404 to anyone else', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const patient = await w.person('user', 'Amina Patient');
    const daughter = await w.person('user', 'Daughter');
    const stranger = await w.person('user', 'Stranger');
    await link(patient as never, daughter as never);
    const byFamily = await daughter.post(
      `${V1}/care-sessions`,
      booking(cara.user.id, TUESDAY_9, { patientId: patient.user.id }),
    );
    expect(byFamily.status, JSON.stringify(byFamily.body)).toBe(201);
    expect(byFamily.body.data).toMatchObject({ patientId: patient.user.id, bookedBy: daughter.user.id });
    const id = byFamily.body.data.id;

    const byStranger = await stranger.post(
      `${V1}/care-sessions`,
      booking(cara.user.id, '2026-03-25T08:00:00Z', { patientId: patient.user.id }),
    );
    expect(byStranger.status).toBe(404);
    for (const reader of [patient, daughter, cara]) {
      const read = await reader.get(`${V1}/care-sessions/${id}`);
      expect(read.status).toBe(200);
      expect(tripsOf(read)).toBe(1);
    }
    expect((await stranger.get(`${V1}/care-sessions/${id}`)).status).toBe(404);
    expect((await stranger.post(`${V1}/care-sessions/${id}/cancel`, {})).status).toBe(404);
    const otherCaregiver = await w.bookableCaregiver();
    expect((await otherCaregiver.post(`${V1}/care-sessions/${id}/confirm`)).status).toBe(404);
    // Lists: the patient and the caregiver see it; the stranger does not.
    const listed = await patient.get(`${V1}/care-sessions`);
    expect(tripsOf(listed)).toBe(1);
    expect(listed.body.data.items.map((s: { id: string }) => s.id)).toEqual([id]);
    expect((await cara.get(`${V1}/care-sessions?as=caregiver`)).body.data.items).toHaveLength(1);
    expect((await stranger.get(`${V1}/care-sessions`)).body.data.items).toEqual([]);
  });

  it('Should book from a doctor’s recommendation (the caregiver it names) and refuse another patient’s recommendation', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver('Cara Recommended');
    const { doctor, services } = await practice(new Date(NOW));
    const patient = await w.person('user');
    const other = await w.person('user');
    await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-03-02T09:00:00Z',
      status: 'completed',
    });
    const doc = w.as(doctor.user);
    const made = await doc.post(`${V1}/patients/${patient.user.id}/caregiver-recommendations`, {
      caregiverId: cara.user.id,
      note: 'Good with wound care',
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const { caregiverId: _c, ...fromRecommendation } = booking(cara.user.id);
    const booked = await patient.post(`${V1}/care-sessions`, {
      ...fromRecommendation,
      recommendationId: made.body.data.id,
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    expect(booked.body.data).toMatchObject({ caregiverId: cara.user.id, recommendationId: made.body.data.id });

    const stolen = await other.post(`${V1}/care-sessions`, {
      ...fromRecommendation,
      startsAt: '2026-03-25T08:00:00Z',
      recommendationId: made.body.data.id,
    });
    expect(stolen.status).toBe(404);
  });
});

describe('the care session lifecycle and the bill', () => {
  it('Should confirm, check in, check out with the actual time, bill it by started quarter hours and take payment with a receipt', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const patient = await w.person('user');
    const id = (await patient.post(`${V1}/care-sessions`, booking(cara.user.id))).body.data.id as string;

    const patientConfirms = await patient.post(`${V1}/care-sessions/${id}/confirm`);
    expect(patientConfirms.status).toBe(403);
    const confirmed = await cara.post(`${V1}/care-sessions/${id}/confirm`);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(tripsOf(confirmed)).toBe(2);
    expect(confirmed.body.data.status).toBe('confirmed');
    expect(delivered(w).map((n) => n.notice.kind)).toContain('care-session.confirm');

    // Too early to check in (more than 30 minutes before the start).
    const early = await cara.post(`${V1}/care-sessions/${id}/check-in`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('INVALID_TRANSITION');
    const notYetPaid = await patient.post(`${V1}/care-sessions/${id}/checkout`);
    expect(notYetPaid.status).toBe(409);

    w.clock.set(new Date(Date.parse(TUESDAY_9) + 4 * 60_000));
    const inside = await cara.post(`${V1}/care-sessions/${id}/check-in`);
    expect(inside.status, JSON.stringify(inside.body)).toBe(200);
    expect(inside.body.data).toMatchObject({ status: 'in-progress', checkedInAt: '2026-03-24T08:04:00.000Z' });
    expect(await pendingReminders(id)).toEqual([]);

    w.clock.advance(127 * 60_000);
    const out = await cara.post(`${V1}/care-sessions/${id}/check-out`);
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    expect(out.body.data).toMatchObject({
      status: 'completed',
      checkedOutAt: '2026-03-24T10:11:00.000Z',
      bill: { actualMinutes: 127, billedMinutes: 135, amountCents: 5625, currency: 'EUR' },
    });
    expect(await claimsOf(id)).toEqual([]);
    const replay = await cara.post(`${V1}/care-sessions/${id}/check-out`);
    expect(replay.status).toBe(409);

    expect((await cara.post(`${V1}/care-sessions/${id}/checkout`)).status).toBe(403);
    const checkout = await patient.post(`${V1}/care-sessions/${id}/checkout`);
    expect(checkout.status, JSON.stringify(checkout.body)).toBe(201);
    expect(checkout.body.data).toMatchObject({
      amountCents: 5625,
      currency: 'EUR',
      status: 'open',
      provider: 'local',
    });
    const [payment] = await db.select().from(payments).where(eq(payments.subjectId, id));
    expect(payment).toMatchObject({
      subjectType: 'care-session',
      payerId: patient.user.id,
      payeeId: cara.user.id,
      description: 'Home care on 2026-03-24: 135 min at 25.00 EUR/h',
    });
    const again = await patient.post(`${V1}/care-sessions/${id}/checkout`);
    expect(again.status).toBe(200);

    const paid = await w.app.post(`/api/v1/dev/checkout/${checkout.body.data.checkout.sessionId}/pay`);
    expect(paid.status).toBe(303);
    const back = new URL(paid.headers.get('location')!);
    expect(back.searchParams.get('careSessionId')).toBe(id);
    const result = await w.app.get(`${back.pathname}${back.search}`);
    expect(result.status).toBe(200);
    expect(String(result.body)).toContain('Payment received');
    expect(String(result.body)).toContain('€56.25');
    const detail = await patient.get(`${V1}/care-sessions/${id}`);
    expect(detail.body.data.bill.payment).toMatchObject({ id: payment!.id, status: 'paid' });
    expect(detail.body.data.bill.payment.receiptNumber).toMatch(/^KW-2026-/);
    expect(detail.body.data.events.map((e: { action: string }) => e.action)).toEqual([
      'book',
      'confirm',
      'check-in',
      'check-out',
    ]);
    const receipt = await patient.get(`${V1}/payments/${payment!.id}/receipt`);
    expect(receipt.status).toBe(200);
    expect(String(receipt.body)).toContain('56.25');
    expect((await patient.post(`${V1}/care-sessions/${id}/checkout`)).status).toBe(409);
  });

  it('Should free the time on cancel (with the reason told to the caregiver), decline and no-show, and let one of two racing confirms win', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const patient = await w.person('user');
    const book = async (startsAt: string) =>
      (await patient.post(`${V1}/care-sessions`, booking(cara.user.id, startsAt))).body.data.id as string;

    const cancelled = await book(TUESDAY_9);
    w.queue.take(NOTIFY_DELIVER);
    const cancel = await patient.post(`${V1}/care-sessions/${cancelled}/cancel`, { reason: 'In hospital this week' });
    expect(cancel.status).toBe(200);
    expect(cancel.body.data).toMatchObject({ status: 'cancelled', cancelReason: 'In hospital this week' });
    expect(await claimsOf(cancelled)).toEqual([]);
    expect(await pendingReminders(cancelled)).toEqual([]);
    expect(delivered(w).map((n) => n.recipientId)).toEqual([cara.user.id]);
    const slots = slotStarts(
      await w.app.get(`${V1}/caregivers/${cara.user.id}/slots?from=2026-03-24&durationMinutes=120`),
    );
    expect(slots).toContain(TUESDAY_9);
    expect((await patient.post(`${V1}/care-sessions/${cancelled}/cancel`, {})).status).toBe(409);

    const declined = await book('2026-03-25T08:00:00Z');
    const decline = await cara.post(`${V1}/care-sessions/${declined}/decline`);
    expect(decline.body.data.status).toBe('declined');

    const racing = await book('2026-03-26T08:00:00Z');
    const both = await Promise.all([
      cara.post(`${V1}/care-sessions/${racing}/confirm`),
      cara.post(`${V1}/care-sessions/${racing}/confirm`),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const events = await db.select().from(careSessionEvents).where(eq(careSessionEvents.sessionId, racing));
    expect(events.map((e) => e.action)).toEqual(['book', 'confirm']);

    expect((await cara.post(`${V1}/care-sessions/${racing}/no-show`)).status).toBe(409);
    w.clock.set('2026-03-26T08:20:00Z');
    const noShow = await cara.post(`${V1}/care-sessions/${racing}/no-show`);
    expect(noShow.body.data.status).toBe('no-show');
    expect(await claimsOf(racing)).toEqual([]);
    expect((await sessionRow(racing))!.status).toBe('no-show');
  });
});

describe('reminders of a care session', () => {
  it('Should send the 24 h and 1 h reminders through the reminder cron to both sides', async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const patient = await w.person('user');
    const id = (await patient.post(`${V1}/care-sessions`, booking(cara.user.id, '2026-03-26T08:00:00Z'))).body.data.id;
    const due = await pendingReminders(id);
    expect(due.map((r) => [r.kind, r.dueAt]).sort()).toEqual(
      [
        ['care-session.1h', Date.parse('2026-03-26T08:00:00Z') - HOUR],
        ['care-session.1h', Date.parse('2026-03-26T08:00:00Z') - HOUR],
        ['care-session.24h', Date.parse('2026-03-26T08:00:00Z') - 24 * HOUR],
        ['care-session.24h', Date.parse('2026-03-26T08:00:00Z') - 24 * HOUR],
      ].sort(),
    );
    expect(new Set(due.map((r) => r.recipientId))).toEqual(new Set([patient.user.id, cara.user.id]));
    expect(due[0]!.notice).toMatchObject({ type: 'reminder', template: 'notice' });
  });
});

describe('the deceased protocol and care sessions', () => {
  it("Should cancel the patient's live sessions (time freed, reminders gone) when a caregiver reports the death", async () => {
    const w = careWorld();
    const cara = await w.bookableCaregiver();
    const patient = await w.person('user');
    await link(patient as never, cara as never);
    const upcoming = (await patient.post(`${V1}/care-sessions`, booking(cara.user.id, '2026-03-26T08:00:00Z'))).body
      .data.id as string;
    expect((await cara.post(`${V1}/care-sessions/${upcoming}/confirm`)).status).toBe(200);
    const requested = (await patient.post(`${V1}/care-sessions`, booking(cara.user.id, '2026-03-27T08:00:00Z'))).body
      .data.id as string;

    const filed = await cara.post(`${V1}/patients/${patient.user.id}/care-reports`, {
      vitals: { heartRate: 20 },
      status: 'deceased',
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(tripsOf(filed)).toBe(2);
    for (const id of [upcoming, requested]) {
      expect(await sessionRow(id)).toMatchObject({
        status: 'cancelled',
        cancelledBy: cara.user.id,
        cancelReason: 'The patient has passed away',
      });
      expect(await claimsOf(id)).toEqual([]);
      expect(await pendingReminders(id)).toEqual([]);
    }
    const events = await db.select().from(careSessionEvents).where(eq(careSessionEvents.sessionId, upcoming));
    expect(events.map((e) => [e.action, e.fromStatus, e.toStatus])).toEqual([
      ['book', null, 'requested'],
      ['confirm', 'requested', 'confirmed'],
      ['cancel', 'confirmed', 'cancelled'],
    ]);
    // Nobody books for them any more.
    const after = await patient.post(`${V1}/care-sessions`, booking(cara.user.id, '2026-03-30T08:00:00Z'));
    expect(after.status).toBe(409);
  });
});
