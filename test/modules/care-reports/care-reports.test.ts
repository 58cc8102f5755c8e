import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { NOTIFY_DELIVER } from '../../../src/access/notices';
import {
  appointments,
  auditEvents,
  careAlerts,
  careDeaths,
  careReports,
  careReportVersions,
  deliveries,
  devOutbox,
  emergencyContacts,
  schedules,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { type CallOptions, client, db, tokenFor, uniqueId } from '../../helpers';
import { capturingQueue, runQueue } from '../../support/notifications';
import { insertAppointment, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { actingAs, link, type Member, member } from '../caregivers/network';

const NOW = new Date('2026-07-01T08:00:00Z');
const clock = fixedClock(NOW);
const queue = capturingQueue();
const V1 = '/api/v1';
const REPORTS = (patientId: string) => `${V1}/patients/${patientId}/care-reports`;

async function people() {
  const patient = await member(clock, { role: 'user', name: 'Amina Otieno' });
  const caregiver = await member(clock, { role: 'caregiver' });
  await link(patient, caregiver);
  return { patient, caregiver };
}

const VITALS = {
  bloodPressure: { systolic: 128, diastolic: 82 },
  heartRate: 76,
  temperature: 36.8,
  spo2: 97,
  respiratoryRate: 16,
  bloodGlucose: { value: 6.1, unit: 'mmol/L' },
  painScore: 2,
};

async function contactsOf(patientId: string) {
  const n = uniqueId('c').slice(-8).toLowerCase();
  const rows = [
    {
      id: uniqueId('emc'),
      userId: patientId,
      name: 'Sister',
      relationship: 'sibling',
      phone: `+2547${String(Date.now()).slice(-8)}`,
      email: `sister-${n}@example.com`,
      isPrimary: true,
      createdAt: NOW.getTime(),
      updatedAt: NOW.getTime(),
    },
  ];
  await db.insert(emergencyContacts).values(rows);
  return rows;
}

describe('care reports', () => {
  it('refuses out-of-range vitals with 422 naming the field, and stores nothing', async () => {
    const { patient, caregiver } = await people();
    const cases: [unknown, string][] = [
      [{ heartRate: 300 }, 'vitals.heartRate'],
      [{ bloodPressure: { systolic: 80, diastolic: 90 } }, 'vitals.bloodPressure.systolic'],
      [{ temperature: 29.9 }, 'vitals.temperature'],
      [{ spo2: 101 }, 'vitals.spo2'],
      [{ bloodGlucose: { value: 800, unit: 'mg/dL' } }, 'vitals.bloodGlucose.value'],
      [{ painScore: 11 }, 'vitals.painScore'],
      [{}, 'vitals'],
    ];
    for (const [vitals, field] of cases) {
      const res = await caregiver.post(REPORTS(patient.user.id), { vitals, status: 'stable' });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await db.select().from(careReports).where(eq(careReports.patientId, patient.user.id))).toEqual([]);
  });

  it('files, versions and reads reports; outsiders get 404; each read is one round trip with an audit row', async () => {
    const { patient, caregiver } = await people();
    const outsider = await member(clock, { role: 'caregiver' });
    const stranger = await member(clock, { role: 'user' });
    const { doctor, services } = await practice(NOW);
    const other = await practice(NOW);
    await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: new Date(NOW.getTime() - 5 * 86_400_000).toISOString(),
      status: 'completed',
    });

    const filed = await caregiver.post(REPORTS(patient.user.id), {
      vitals: VITALS,
      observations: 'Ate well.',
      medicationGiven: [{ name: 'Metformin', dose: '500 mg' }],
      status: 'stable',
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(tripsOf(filed)).toBe(2);
    const id = filed.body.data.id as string;
    expect(filed.body.data).toMatchObject({ version: 1, status: 'stable', authorId: caregiver.user.id });
    const [stored] = await db.select().from(careReports).where(eq(careReports.id, id));
    expect(stored!.content).not.toContain('Metformin');

    // Not linked: 404; a patient cannot file.
    expect((await outsider.post(REPORTS(patient.user.id), { vitals: VITALS, status: 'stable' })).status).toBe(404);

    const patched = await caregiver.patch(`${V1}/care-reports/${id}`, {
      baseVersion: 1,
      status: 'improving',
      vitals: { heartRate: 70 },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.data).toMatchObject({ version: 2, status: 'improving', observations: 'Ate well.' });
    expect(tripsOf(patched)).toBe(2);
    const stale = await caregiver.patch(`${V1}/care-reports/${id}`, { baseVersion: 1, status: 'stable' });
    expect(stale.status).toBe(409);
    expect((await outsider.patch(`${V1}/care-reports/${id}`, { baseVersion: 2, status: 'stable' })).status).toBe(404);

    for (const reader of [patient, caregiver, actingAs(doctor.user, clock)]) {
      const list = await reader.get(REPORTS(patient.user.id));
      expect(list.status, JSON.stringify(list.body)).toBe(200);
      expect(list.body.data.items.map((r: { id: string }) => r.id)).toEqual([id]);
      expect(tripsOf(list)).toBe(1);
      const versions = await reader.get(`${V1}/care-reports/${id}/versions`);
      expect(versions.body.data.map((v: { version: number }) => v.version)).toEqual([2, 1]);
      expect(tripsOf(versions)).toBe(1);
      const status = await reader.get(`${V1}/patients/${patient.user.id}/care-status?days=7`);
      expect(status.status).toBe(200);
      expect(tripsOf(status)).toBe(1);
      expect(status.body.data.current).toBe('improving');
      expect(status.body.data.trends.heartRate).toMatchObject({ min: 70, max: 70, avg: 70 });
    }
    for (const nobody of [outsider, stranger, actingAs(other.doctor.user, clock)]) {
      expect((await nobody.get(REPORTS(patient.user.id))).status).toBe(404);
      expect((await nobody.get(`${V1}/patients/${patient.user.id}/care-status`)).status).toBe(404);
      expect((await nobody.get(`${V1}/care-reports/${id}/versions`)).status).toBe(404);
    }
    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.patientId, patient.user.id), eq(auditEvents.action, 'care_report.read')));
    expect(audits).toHaveLength(9);
    expect(await db.select().from(careReportVersions).where(eq(careReportVersions.reportId, id))).toHaveLength(2);
  });
});

describe('care alerts', () => {
  it('deteriorating: the contacts by email and SMS, once, and an admin alert', async () => {
    const { patient, caregiver } = await people();
    const [contact] = await contactsOf(patient.user.id);
    const queued = actingAsWithQueue(caregiver);
    const filed = await queued.post(REPORTS(patient.user.id), { vitals: { spo2: 90 }, status: 'deteriorating' });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    const jobs = queue.take(NOTIFY_DELIVER);
    await runQueue(jobs);
    await runQueue(jobs); // a redelivered job sends nothing again
    const rows = await db.select().from(deliveries).where(eq(deliveries.recipientId, contact!.id));
    const byChannel = Object.fromEntries(rows.map((r) => [r.channel, r.status]));
    expect(byChannel).toMatchObject({ email: 'sent', sms: 'sent' });
    expect(byChannel['in-app']).not.toBe('sent');
    expect(byChannel.push).not.toBe('sent');
    const outbox = await db
      .select()
      .from(devOutbox)
      .where(inArray(devOutbox.recipient, [contact!.email, contact!.phone]));
    expect(outbox.map((o) => o.channel).sort()).toEqual(['email', 'sms']);
    const alerts = await db.select().from(careAlerts).where(eq(careAlerts.patientId, patient.user.id));
    expect(alerts).toMatchObject([{ severity: 'high', status: 'open', reportId: filed.body.data.id }]);
  });

  it('critical: contacts on every channel, the on-duty admin paged, exactly once across a retried request; admins acknowledge', async () => {
    const { patient, caregiver } = await people();
    const [contact] = await contactsOf(patient.user.id);
    const onDuty = await member(clock, { role: 'admin' });
    const { users } = await import('../../../src/db/schema');
    await db
      .update(users)
      .set({ subRoles: ['support-agent'] })
      .where(eq(users.id, onDuty.user.id));
    const queued = actingAsWithQueue(caregiver);
    const body = { vitals: { bloodPressure: { systolic: 80, diastolic: 50 } }, status: 'critical' };
    const first = await queued.call('POST', REPORTS(patient.user.id), {
      json: body,
      headers: { 'idempotency-key': 'k-1' },
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await queued.call('POST', REPORTS(patient.user.id), {
      json: body,
      headers: { 'idempotency-key': 'k-1' },
    });
    expect(again.status).toBe(200);
    expect(again.body.data.id).toBe(first.body.data.id);
    await runQueue(queue.take(NOTIFY_DELIVER));
    const contactRows = await db.select().from(deliveries).where(eq(deliveries.recipientId, contact!.id));
    expect(
      contactRows
        .filter((r) => r.status === 'sent')
        .map((r) => r.channel)
        .sort(),
    ).toEqual(['email', 'sms']);
    const adminRows = await db.select().from(deliveries).where(eq(deliveries.recipientId, onDuty.user.id));
    expect(
      adminRows.filter((r) => r.kind === 'care.critical.page' && r.status === 'sent').map((r) => r.channel),
    ).toEqual(expect.arrayContaining(['in-app', 'email']));
    const outbox = await db
      .select()
      .from(devOutbox)
      .where(inArray(devOutbox.recipient, [contact!.email!, contact!.phone]));
    expect(outbox).toHaveLength(2);
    const alerts = await db.select().from(careAlerts).where(eq(careAlerts.patientId, patient.user.id));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.severity).toBe('critical');

    const later = fixedClock(new Date(NOW.getTime() + 240_000));
    const admin = actingAs(onDuty.user, later);
    const list = await admin.get(`${V1}/admin/care-alerts`);
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.data.items.map((a: { id: string }) => a.id)).toContain(alerts[0]!.id);
    expect(tripsOf(list)).toBe(1);
    const ack = await admin.post(`${V1}/admin/care-alerts/${alerts[0]!.id}/acknowledge`);
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    expect(ack.body.data).toMatchObject({ status: 'acknowledged', ackSeconds: 240, acknowledgedBy: onDuty.user.id });
    expect(tripsOf(ack)).toBe(2);
    expect((await admin.post(`${V1}/admin/care-alerts/${alerts[0]!.id}/acknowledge`)).status).toBe(409);
    const acked = await admin.get(`${V1}/admin/care-alerts?status=acknowledged`);
    expect(acked.body.data.meta.averageAckSeconds).toEqual(expect.any(Number));
    expect((await caregiver.get(`${V1}/admin/care-alerts`)).status).toBe(403);
  });

  it('stable and improving alert nobody', async () => {
    const { patient, caregiver } = await people();
    await contactsOf(patient.user.id);
    const queued = actingAsWithQueue(caregiver);
    expect((await queued.post(REPORTS(patient.user.id), { vitals: { heartRate: 80 }, status: 'stable' })).status).toBe(
      201,
    );
    expect(queue.take(NOTIFY_DELIVER)).toEqual([]);
    expect(await db.select().from(careAlerts).where(eq(careAlerts.patientId, patient.user.id))).toEqual([]);
  });
});

/** A caregiver acting through an app whose job queue the test captures. */
function actingAsWithQueue(m: Member) {
  const app = client({ clock, adapters: queue.adapters });
  const call = async (method: string, path: string, options: CallOptions = {}) =>
    app.call(method, path, { ...options, token: await tokenFor(m.user, clock.now()) });
  return { call, post: (path: string, json: unknown) => call('POST', path, { json }) };
}

describe('the deceased protocol', () => {
  it('tells contacts and doctors, cancels upcoming appointments with the refund, ends schedules, marks the account; once', async () => {
    const { patient, caregiver } = await people();
    const [contact] = await contactsOf(patient.user.id);
    const { doctor, services } = await practice(NOW);
    const upcoming = await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: new Date(NOW.getTime() + 3 * 3_600_000).toISOString(),
      status: 'confirmed',
      priceCents: 8000,
      paymentStatus: 'paid',
    });
    const past = await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: new Date(NOW.getTime() - 3 * 86_400_000).toISOString(),
      status: 'completed',
    });
    const schedule = await patient.post(`${V1}/schedules`, {
      kind: 'medicine',
      medicineName: 'Lisinopril',
      dosage: '10 mg',
      quantityPerDose: 1,
      timesOfDay: ['08:00'],
      timeZone: 'UTC',
      recurrence: { type: 'interval', everyNDays: 1 },
      startDate: '2026-06-01',
    });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);

    const queued = actingAsWithQueue(caregiver);
    const filed = await queued.post(REPORTS(patient.user.id), { vitals: { heartRate: 20 }, status: 'deceased' });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(tripsOf(filed)).toBe(2);
    await runQueue(queue.take(NOTIFY_DELIVER));

    const [cancelled] = await db.select().from(appointments).where(eq(appointments.id, upcoming.id));
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      refundPercent: 100,
      refundDueCents: 8000,
      refundStatus: 'pending',
    });
    expect((await db.select().from(appointments).where(eq(appointments.id, past.id)))[0]!.status).toBe('completed');
    const [ended] = await db.select().from(schedules).where(eq(schedules.id, schedule.body.data.id));
    expect(ended!.endDate).toBe('2026-07-01');
    expect(await db.select().from(careDeaths).where(eq(careDeaths.patientId, patient.user.id))).toMatchObject([
      { reportId: filed.body.data.id, reportedBy: caregiver.user.id },
    ]);
    const toContact = await db.select().from(deliveries).where(eq(deliveries.recipientId, contact!.id));
    expect(
      toContact
        .filter((r) => r.status === 'sent')
        .map((r) => r.channel)
        .sort(),
    ).toEqual(['email', 'sms']);
    const toDoctor = await db.select().from(deliveries).where(eq(deliveries.recipientId, doctor.user.id));
    expect(toDoctor.filter((r) => r.kind === 'care.deceased.doctor' && r.status === 'sent').length).toBeGreaterThan(0);

    // A second deceased report: nothing more (no alert, no notice, nothing cancelled again).
    const second = await queued.post(REPORTS(patient.user.id), { vitals: { heartRate: 20 }, status: 'deceased' });
    expect(second.status).toBe(201);
    expect(queue.take(NOTIFY_DELIVER)).toEqual([]);
    expect(await db.select().from(careAlerts).where(eq(careAlerts.patientId, patient.user.id))).toHaveLength(1);
    // The family still reads the reports.
    expect((await patient.get(REPORTS(patient.user.id))).body.data.items).toHaveLength(2);
  });
});
