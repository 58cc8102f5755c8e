import { and, eq, inArray, isNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appointmentEvents, appointmentHolds, appointments, LIVE_STATUSES, slotClaims } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { type ApiResponse, client, db } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';

/**
 * The "no double booking" guarantee under load: many requests for overlapping time at once, through
 * HTTP, and exactly one winner in the answers and in the stored rows.
 */

const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const now = () => clock.now();
const SLOT = '2026-03-24T10:00:00.000Z';

const patients = (n: number) => Promise.all(Array.from({ length: n }, () => account('user', now())));
const statuses = (results: ApiResponse[]) => results.map((r) => r.status).sort();
const codesOf = (results: ApiResponse[]) => [
  ...new Set(results.filter((r) => r.status === 409).map((r) => r.body.error.code)),
];

const liveAppointments = (doctorId: string) =>
  db
    .select()
    .from(appointments)
    .where(and(eq(appointments.doctorId, doctorId), inArray(appointments.status, [...LIVE_STATUSES])))
    .all();
const claimsOfDoctor = (doctorId: string) =>
  db.select().from(slotClaims).where(eq(slotClaims.doctorId, doctorId)).all();

describe('booking under concurrency', () => {
  it('Should let exactly one of 50 simultaneous bookings of one slot win; 49 get 409 SLOT_UNAVAILABLE', async () => {
    const { doctor, services } = await practice(now());
    const crowd = await patients(50);
    const results = await Promise.all(
      crowd.map((p) =>
        api.post('/api/v1/appointments', {
          token: p.token,
          json: { doctorId: doctor.user.id, serviceId: services[0]!.id, startsAt: SLOT, type: 'video' },
        }),
      ),
    );
    expect(statuses(results)).toEqual([201, ...Array(49).fill(409)]);
    expect(codesOf(results)).toEqual(['SLOT_UNAVAILABLE']);
    const winner = results.find((r) => r.status === 201)!.body.data;
    const live = await liveAppointments(doctor.user.id);
    expect(live.map((a) => a.id)).toEqual([winner.id]);
    expect(live[0]!.startsAt).toBe(Date.parse(SLOT));
    const claims = await claimsOfDoctor(doctor.user.id);
    expect(claims).toHaveLength(6);
    expect(claims.every((c) => c.ownerId === winner.id)).toBe(true);
  });

  it('Should let exactly one of overlapping 60- and 30-minute bookings win (10:00–11:00 vs 10:30–11:00)', async () => {
    const { doctor, services } = await practice(now());
    const [thirty, sixty] = services;
    const crowd = await patients(16);
    const results = await Promise.all(
      crowd.map((p, i) =>
        api.post('/api/v1/appointments', {
          token: p.token,
          json:
            i % 2 === 0
              ? { doctorId: doctor.user.id, serviceId: sixty!.id, startsAt: SLOT, type: 'video' }
              : { doctorId: doctor.user.id, serviceId: thirty!.id, startsAt: '2026-03-24T10:30:00Z', type: 'video' },
        }),
      ),
    );
    expect(statuses(results)).toEqual([201, ...Array(15).fill(409)]);
    expect(codesOf(results)).toEqual(['SLOT_UNAVAILABLE']);
    const winner = results.find((r) => r.status === 201)!.body.data;
    const live = await liveAppointments(doctor.user.id);
    expect(live.map((a) => a.id)).toEqual([winner.id]);
    const claims = await claimsOfDoctor(doctor.user.id);
    expect(claims).toHaveLength(winner.service.durationMinutes / 5);
    expect(claims.every((c) => c.ownerId === winner.id)).toBe(true);
  });

  it('Should let exactly one of concurrent reschedules onto the same free slot win; the losers keep their time and claims', async () => {
    const { doctor, services } = await practice(now());
    const crowd = await patients(8);
    const originals = await Promise.all(
      crowd.map((p, i) =>
        insertAppointment({
          patientId: p.user.id,
          doctorId: doctor.user.id,
          serviceId: services[0]!.id,
          startsAt: `2026-03-25T${String(9 + i).padStart(2, '0')}:00:00Z`,
          status: i % 2 ? 'confirmed' : 'pending',
        }),
      ),
    );
    const target = '2026-03-24T14:00:00.000Z';
    const results = await Promise.all(
      originals.map((a, i) =>
        api.post(`/api/v1/appointments/${a.id}/reschedule`, { token: crowd[i]!.token, json: { startsAt: target } }),
      ),
    );
    expect(statuses(results)).toEqual([200, ...Array(7).fill(409)]);
    expect(codesOf(results)).toEqual(['SLOT_UNAVAILABLE']);
    const winnerId = results.find((r) => r.status === 200)!.body.data.id;
    for (const original of originals) {
      const row = await db.select().from(appointments).where(eq(appointments.id, original.id)).get();
      const claims = await db.select().from(slotClaims).where(eq(slotClaims.ownerId, original.id)).all();
      const start = original.id === winnerId ? Date.parse(target) : original.startsAt;
      expect(row).toMatchObject({ startsAt: start, status: original.status });
      expect(row!.rescheduleCount).toBe(original.id === winnerId ? 1 : 0);
      expect(claims.map((c) => c.unitStart).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 6 }, (_, u) => start + u * 300_000),
      );
    }
    expect(await claimsOfDoctor(doctor.user.id)).toHaveLength(8 * 6);
  });

  it('Should keep one appointment consistent when it is rescheduled to several times at once', async () => {
    const { doctor, services } = await practice(now());
    const [patient] = await patients(1);
    const original = await insertAppointment({
      patientId: patient!.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: SLOT,
    });
    const targets = ['11:00', '12:00', '13:00', '14:00', '15:00', '16:00'].map((t) => `2026-03-24T${t}:00.000Z`);
    const results = await Promise.all(
      targets.map((startsAt) =>
        api.post(`/api/v1/appointments/${original.id}/reschedule`, { token: patient!.token, json: { startsAt } }),
      ),
    );
    const wins = results.filter((r) => r.status === 200);
    expect(wins.length).toBeGreaterThanOrEqual(1);
    expect(results.filter((r) => r.status !== 200).every((r) => r.status === 409)).toBe(true);
    const row = (await db.select().from(appointments).where(eq(appointments.id, original.id)).get())!;
    const events = await db.select().from(appointmentEvents).where(eq(appointmentEvents.appointmentId, original.id));
    expect(row.rescheduleCount).toBe(wins.length);
    expect(events).toHaveLength(wins.length);
    expect(targets).toContain(new Date(row.startsAt).toISOString());
    const claims = await claimsOfDoctor(doctor.user.id);
    expect(claims.map((c) => c.unitStart).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 6 }, (_, u) => row.startsAt + u * 300_000),
    );
  });

  it('Should let exactly one of holds racing bookings on the same slot win', async () => {
    const { doctor, services } = await practice(now());
    const crowd = await patients(30);
    const body = { doctorId: doctor.user.id, serviceId: services[0]!.id, startsAt: SLOT };
    const results = await Promise.all(
      crowd.map((p, i) =>
        i % 2 === 0
          ? api.post('/api/v1/appointments/holds', { token: p.token, json: body })
          : api.post('/api/v1/appointments', { token: p.token, json: { ...body, type: 'in-person' } }),
      ),
    );
    expect(statuses(results)).toEqual([201, ...Array(29).fill(409)]);
    expect(codesOf(results)).toEqual(['SLOT_UNAVAILABLE']);
    const winnerId = results.find((r) => r.status === 201)!.body.data.id as string;
    const holds = await db
      .select()
      .from(appointmentHolds)
      .where(and(eq(appointmentHolds.doctorId, doctor.user.id), isNull(appointmentHolds.releasedAt)))
      .all();
    const live = await liveAppointments(doctor.user.id);
    expect([...holds, ...live].map((r) => r.id)).toEqual([winnerId]);
    const claims = await claimsOfDoctor(doctor.user.id);
    expect(claims).toHaveLength(6);
    expect(claims.every((c) => c.ownerId === winnerId)).toBe(true);
  });
});
