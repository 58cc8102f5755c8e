import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContext, withActor } from '../../../src/context';
import {
  APPOINTMENT_STATUSES,
  type AppointmentRow,
  type AppointmentStatus,
  appointmentEvents,
  appointments,
  auditEvents,
  LIVE_STATUSES,
  slotClaims,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { AppError } from '../../../src/lib/errors';
import type { Relation } from '../../../src/modules/appointments/appointment-access';
import {
  checkTransition,
  TRANSITIONS,
  type TransitionAction,
} from '../../../src/modules/appointments/lifecycle.policy';
import { transitionAppointment } from '../../../src/modules/appointments/lifecycle.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, testEnv, tokenFor } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';

const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const now = new Date(NOW);
const HOUR = 3_600_000;

type Account = Awaited<ReturnType<typeof account>>;

let doctor: Account;
let serviceId: string;
let patient: Account;
let otherPatient: Account;
let otherDoctor: Account;
let staff: Record<'receptionist' | 'admin' | 'superadmin', Account>;

/** Each 30-minute appointment gets an hour of its own, so live claims never collide. */
let slotCounter = 0;
function nextStart(past: boolean): string {
  slotCounter++;
  const base = Date.parse(NOW) + (past ? -20 * 24 * HOUR : 2 * 24 * HOUR);
  return new Date(base + slotCounter * HOUR).toISOString();
}

async function appointmentIn(status: AppointmentStatus, options: { past?: boolean; patientId?: string } = {}) {
  return insertAppointment({
    patientId: options.patientId ?? patient.user.id,
    doctorId: doctor.user.id,
    serviceId,
    startsAt: nextStart(options.past ?? true),
    status,
  });
}

const pathOf = (id: string, action: TransitionAction) => `/api/v1/appointments/${id}/${action}`;

const storedStatus = async (id: string) =>
  (await db.select({ status: appointments.status }).from(appointments).where(eq(appointments.id, id)).get())?.status;
const eventsOf = (id: string) =>
  db.select().from(appointmentEvents).where(eq(appointmentEvents.appointmentId, id)).all();
const claimsOf = (id: string) => db.select().from(slotClaims).where(eq(slotClaims.ownerId, id)).all();

/** Who acts for a relation in the table: staff means each staff role. */
function actorsFor(relation: Relation): [string, () => Account][] {
  if (relation === 'patient') return [['patient', () => patient]];
  if (relation === 'doctor') return [['doctor', () => doctor]];
  return [
    ['receptionist', () => staff.receptionist],
    ['admin', () => staff.admin],
    ['superadmin', () => staff.superadmin],
  ];
}

beforeAll(async () => {
  const p = await practice(now);
  doctor = p.doctor;
  serviceId = p.services[0]!.id;
  patient = await account('user', now);
  otherPatient = await account('user', now);
  otherDoctor = await account('doctor', now);
  staff = {
    receptionist: await account('receptionist', now),
    admin: await account('admin', now),
    superadmin: await account('superadmin', now),
  };
});

describe('checkTransition (pure)', () => {
  it('Should allow exactly the table’s transitions and name the reason otherwise', () => {
    expect(checkTransition('confirm', 'pending', 'doctor')).toEqual({ ok: true, to: 'confirmed' });
    expect(checkTransition('confirm', 'pending', 'staff')).toEqual({ ok: true, to: 'confirmed' });
    expect(checkTransition('confirm', 'pending', 'patient')).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(checkTransition('start', 'confirmed', 'staff')).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(checkTransition('complete', 'pending', 'doctor')).toEqual({
      ok: false,
      code: 'INVALID_TRANSITION',
      message: 'Cannot complete this appointment: it is pending (complete is allowed only when in-progress)',
    });
    expect(checkTransition('cancel', 'confirmed', 'patient')).toEqual({ ok: true, to: 'cancelled' });
    expect(checkTransition('cancel', 'in-progress', 'patient')).toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  it('Should refuse a no-show before the start and allow it from the start instant on', () => {
    const startsAt = Date.parse('2026-03-25T10:00:00Z');
    expect(checkTransition('no-show', 'confirmed', 'doctor', { now: startsAt - 1, startsAt })).toEqual({
      ok: false,
      code: 'INVALID_TRANSITION',
      message: 'Cannot mark as no-show this appointment before it starts at 2026-03-25T10:00:00.000Z',
    });
    expect(checkTransition('no-show', 'confirmed', 'doctor', { now: startsAt, startsAt })).toEqual({
      ok: true,
      to: 'no-show',
    });
  });

  it('Should check the relation before the status', () => {
    expect(checkTransition('start', 'completed', 'patient')).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('appointment transitions over HTTP: every allowed one', () => {
  const cases = (Object.keys(TRANSITIONS) as TransitionAction[]).flatMap((action) => {
    const rule = TRANSITIONS[action];
    return rule.from.flatMap((from) =>
      rule.by.flatMap((relation) =>
        actorsFor(relation).map(([label, who]) => ({ action, from, to: rule.to, relation, label, who })),
      ),
    );
  });

  it.each(cases)('Should let the $label $action an appointment that is $from', async (c) => {
    const row = await appointmentIn(c.from);
    const claimsBefore = (await claimsOf(row.id)).length;
    expect(claimsBefore).toBeGreaterThan(0);
    const actor = c.who();
    const reason = `Reason for ${c.action}`;
    const res = await api.post(pathOf(row.id, c.action), { token: actor.token, json: { reason } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toMatchObject({ id: row.id, status: c.to });
    expect(res.body.message).toMatch(/^Appointment /);

    expect(await storedStatus(row.id)).toBe(c.to);
    const events = await eventsOf(row.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: c.action,
      fromStatus: c.from,
      toStatus: c.to,
      actorId: actor.user.id,
      actorRole: actor.user.role,
      reason,
      at: now.getTime(),
    });
    const claims = await claimsOf(row.id);
    // A live status keeps the time claimed; any other frees it.
    expect(claims).toHaveLength(LIVE_STATUSES.includes(c.to) ? claimsBefore : 0);

    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, row.id), eq(auditEvents.action, `appointment.${c.action}`)))
      .all();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      actorId: actor.user.id,
      patientId: patient.user.id,
      resourceType: 'appointment',
    });
  });

  it('Should take a transition without a body (except reject)', async () => {
    const row = await appointmentIn('pending');
    const res = await api.post(pathOf(row.id, 'confirm'), { token: doctor.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await eventsOf(row.id))[0]).toMatchObject({ action: 'confirm', reason: null });
  });
});

describe('appointment transitions over HTTP: refused by status', () => {
  const cases = (Object.keys(TRANSITIONS) as TransitionAction[]).flatMap((action) =>
    APPOINTMENT_STATUSES.filter((s) => !(TRANSITIONS[action].from as readonly string[]).includes(s)).map((status) => ({
      action,
      status,
    })),
  );

  it.each(cases)('Should refuse to $action an appointment that is $status with 409', async ({ action, status }) => {
    const row = await appointmentIn(status);
    // The doctor may take every action, so only the status stands in the way.
    const res = await api.post(pathOf(row.id, action), { token: doctor.token, json: { reason: 'Try' } });
    expect([res.status, res.body.error?.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(res.body.message).toContain(`it is ${status}`);
    expect(res.body.message).toContain(`${action} is allowed only when`);
    expect(res.body.error.details).toEqual({ action, status });
    expect(await storedStatus(row.id)).toBe(status);
    expect(await eventsOf(row.id)).toHaveLength(0);
  });

  it('Should refuse a no-show before the appointment starts, and allow it once started', async () => {
    const row = await appointmentIn('confirmed', { past: false });
    const early = await api.post(pathOf(row.id, 'no-show'), { token: doctor.token });
    expect([early.status, early.body.error?.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(early.body.message).toBe(
      `Cannot mark as no-show this appointment before it starts at ${new Date(row.startsAt).toISOString()}`,
    );
    expect(await storedStatus(row.id)).toBe('confirmed');
    expect(await claimsOf(row.id)).not.toHaveLength(0);

    const startsAt = new Date(row.startsAt);
    const later = client({ clock: fixedClock(startsAt) });
    const res = await later.post(pathOf(row.id, 'no-show'), { token: await tokenFor(doctor.user, startsAt) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await storedStatus(row.id)).toBe('no-show');
    expect(await claimsOf(row.id)).toHaveLength(0);
  });
});

describe('appointment transitions over HTTP: refused by who', () => {
  const forbidden = async (row: AppointmentRow, action: TransitionAction, token: string) => {
    const res = await api.post(pathOf(row.id, action), { token, json: { reason: 'Try' } });
    expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([403, 'FORBIDDEN']);
    expect(await storedStatus(row.id)).toBe(row.status);
    expect(await eventsOf(row.id)).toHaveLength(0);
    return res;
  };

  it('Should refuse the patient confirming, rejecting, starting, completing or marking no-show (403)', async () => {
    await forbidden(await appointmentIn('pending'), 'confirm', patient.token);
    await forbidden(await appointmentIn('pending'), 'reject', patient.token);
    await forbidden(await appointmentIn('confirmed'), 'start', patient.token);
    await forbidden(await appointmentIn('in-progress'), 'complete', patient.token);
    await forbidden(await appointmentIn('confirmed'), 'no-show', patient.token);
  });

  it('Should refuse staff starting, completing or marking no-show (403)', async () => {
    for (const who of [staff.receptionist, staff.admin, staff.superadmin]) {
      await forbidden(await appointmentIn('confirmed'), 'start', who.token);
      await forbidden(await appointmentIn('in-progress'), 'complete', who.token);
      await forbidden(await appointmentIn('confirmed'), 'no-show', who.token);
    }
  });

  it('Should refuse a doctor who is the patient of the appointment as a patient (403 by relation)', async () => {
    const row = await appointmentIn('pending', { patientId: otherDoctor.user.id });
    const res = await forbidden(row, 'confirm', otherDoctor.token);
    expect(res.body.message).toBe('Only the doctor or staff can confirm an appointment');
    await forbidden(await appointmentIn('confirmed', { patientId: otherDoctor.user.id }), 'start', otherDoctor.token);
    // As the patient they may cancel.
    const cancel = await api.post(pathOf(row.id, 'cancel'), { token: otherDoctor.token });
    expect(cancel.status).toBe(200);
    expect((await eventsOf(row.id))[0]).toMatchObject({ actorId: otherDoctor.user.id, toStatus: 'cancelled' });
  });

  it('Should answer 404 to another doctor or patient, and for an unknown id, changing nothing', async () => {
    const row = await appointmentIn('pending');
    const attempts: [TransitionAction, Account][] = [
      ['confirm', otherDoctor],
      ['reject', otherDoctor],
      ['cancel', otherDoctor],
      ['cancel', otherPatient],
    ];
    for (const [action, who] of attempts) {
      const res = await api.post(pathOf(row.id, action), { token: who.token, json: { reason: 'Not mine' } });
      expect([res.status, res.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    }
    const confirmed = await appointmentIn('confirmed');
    for (const action of ['start', 'no-show'] as const) {
      expect((await api.post(pathOf(confirmed.id, action), { token: otherDoctor.token })).status).toBe(404);
    }
    const missing = await api.post(pathOf('apt_00000000000000000000000000', 'cancel'), { token: patient.token });
    expect([missing.status, missing.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    expect(await storedStatus(row.id)).toBe('pending');
    expect(await storedStatus(confirmed.id)).toBe('confirmed');
    expect(await eventsOf(row.id)).toHaveLength(0);
  });

  it('Should refuse anonymous callers (401) and roles outside the policy (403)', async () => {
    const row = await appointmentIn('pending');
    expect((await api.post(pathOf(row.id, 'confirm'))).status).toBe(401);
    const caregiver = await account('caregiver', now);
    expect((await api.post(pathOf(row.id, 'cancel'), { token: caregiver.token })).status).toBe(403);
    expect(await storedStatus(row.id)).toBe('pending');
  });
});

describe('appointment transitions over HTTP: bad input', () => {
  it('Should require a reason to reject, and refuse bad bodies with 422', async () => {
    const row = await appointmentIn('pending');
    const cases: [TransitionAction, unknown, string][] = [
      ['reject', {}, 'reason'],
      ['reject', { reason: '   ' }, 'reason'],
      ['cancel', { reason: 42 }, 'reason'],
      ['confirm', { reason: 'ok', status: 'confirmed' }, 'status'],
      ['cancel', { reason: 'x'.repeat(501) }, 'reason'],
      ['cancel', { reason: 'bad\u0007bell' }, 'reason'],
    ];
    for (const [action, json, field] of cases) {
      const res = await api.post(pathOf(row.id, action), { token: doctor.token, json });
      expect([res.status, res.body.error?.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const noBody = await api.post(pathOf(row.id, 'reject'), { token: doctor.token });
    expect(noBody.status).toBe(415);
    const badJson = await api.post(pathOf(row.id, 'cancel'), {
      token: doctor.token,
      body: '{"reason":',
      headers: { 'content-type': 'application/json' },
    });
    expect([badJson.status, badJson.body.error?.code]).toEqual([400, 'INVALID_JSON']);
    expect(await storedStatus(row.id)).toBe('pending');
    expect(await eventsOf(row.id)).toHaveLength(0);
  });
});

describe('appointment transitions: concurrency and claims', () => {
  it('Should let exactly one of two concurrent confirms win; the other gets 409 INVALID_TRANSITION', async () => {
    const row = await appointmentIn('pending', { past: false });
    const [a, b] = await Promise.all([
      api.post(pathOf(row.id, 'confirm'), { token: doctor.token }),
      api.post(pathOf(row.id, 'confirm'), { token: staff.receptionist.token }),
    ]);
    const answers = [a, b].map((r) => [r.status, r.body.error?.code ?? null]).sort();
    expect(answers).toEqual([
      [200, null],
      [409, 'INVALID_TRANSITION'],
    ]);
    expect([a, b].find((r) => r.status === 409)!.body.message).toMatch(/^Cannot confirm this appointment: .*confirmed/);
    expect(await storedStatus(row.id)).toBe('confirmed');
    expect(await eventsOf(row.id)).toHaveLength(1);
    expect(await claimsOf(row.id)).toHaveLength(6);
  });

  it('Should roll back a transition whose status another request changed after it was read', async () => {
    const row = await appointmentIn('pending', { past: false });
    const claimsBefore = (await claimsOf(row.id)).length;
    // A confirm by someone else lands between this request's read (its first batch) and its write batch.
    let batches = 0;
    const racing = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'batch') return Reflect.get(target, prop, receiver);
        return async (statements: Parameters<typeof db.batch>[0]) => {
          const results = await db.batch(statements);
          if (batches++ === 0) {
            await db.update(appointments).set({ status: 'confirmed' }).where(eq(appointments.id, row.id));
          }
          return results;
        };
      },
    });
    const actor = {
      id: patient.user.id,
      role: 'user' as const,
      subRoles: [],
      status: 'active' as const,
      sessionId: null,
    };
    const ctx = {
      ...withActor(createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'req_race' }), actor),
      db: racing,
    };
    const error = await transitionAppointment(ctx, row.id, 'cancel', { reason: 'Plans changed' }).catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect([error.code, error.message]).toEqual([
      'INVALID_TRANSITION',
      'Cannot cancel this appointment: another request changed it first (it is now confirmed)',
    ]);
    const stored = await db.select().from(appointments).where(eq(appointments.id, row.id)).get();
    expect(stored).toMatchObject({ status: 'confirmed', cancelledAt: null, refundPercent: null, refundDueCents: null });
    expect(await eventsOf(row.id)).toHaveLength(0);
    expect(await claimsOf(row.id)).toHaveLength(claimsBefore);
    expect(await db.select().from(auditEvents).where(eq(auditEvents.resourceId, row.id)).all()).toHaveLength(0);
  });

  it('Should claim the time again on confirm when its claims were lost and nothing else holds it', async () => {
    const row = await appointmentIn('pending', { past: false });
    await db.delete(slotClaims).where(eq(slotClaims.ownerId, row.id));
    const res = await api.post(pathOf(row.id, 'confirm'), { token: staff.admin.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const claims = await claimsOf(row.id);
    expect(claims.map((c) => c.unitStart)).toEqual(Array.from({ length: 6 }, (_, i) => row.startsAt + i * 300_000));
    expect(claims.every((c) => c.ownerType === 'appointment' && c.expiresAt === null)).toBe(true);
  });

  it('Should refuse to confirm when another booking holds the time (claims lost), changing nothing', async () => {
    const row = await appointmentIn('pending', { past: false });
    await db.delete(slotClaims).where(eq(slotClaims.ownerId, row.id));
    const blocker = await insertAppointment({
      patientId: otherPatient.user.id,
      doctorId: doctor.user.id,
      serviceId,
      startsAt: new Date(row.startsAt + 10 * 60_000).toISOString(),
      status: 'confirmed',
    });
    const res = await api.post(pathOf(row.id, 'confirm'), { token: doctor.token });
    expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([409, 'SLOT_UNAVAILABLE']);
    expect(res.body.error.details.blockedBy).toMatchObject({ type: 'appointment', id: null });
    expect(await storedStatus(row.id)).toBe('pending');
    expect(await eventsOf(row.id)).toHaveLength(0);
    expect(await claimsOf(row.id)).toHaveLength(0);
    expect(await claimsOf(blocker.id)).toHaveLength(6);
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, row.id)).all();
    expect(audits).toHaveLength(0);
  });

  it('Should make the time bookable again at once on cancel and reject', async () => {
    const own = await practice(now);
    const slotsPath = (date: string) =>
      `/api/v1/doctors/${own.doctor.user.id}/slots?serviceId=${own.services[0]!.id}&date=${date}`;
    const starts = async (date: string) =>
      ((await api.get(slotsPath(date))).body.data.slots as { start: string }[]).map((s) => s.start);
    for (const [action, start] of [
      ['cancel', '2026-03-26T10:00:00.000Z'],
      ['reject', '2026-03-26T14:00:00.000Z'],
    ] as const) {
      const row = await insertAppointment({
        patientId: patient.user.id,
        doctorId: own.doctor.user.id,
        serviceId: own.services[0]!.id,
        startsAt: start,
        status: 'pending',
      });
      expect(await starts('2026-03-26')).not.toContain(start);
      const res = await api.post(pathOf(row.id, action), { token: own.doctor.token, json: { reason: 'Doctor away' } });
      expect(res.status).toBe(200);
      expect(await starts('2026-03-26')).toContain(start);
    }
  });
});
