import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type DeliverPayload, deliverJobs, NOTIFY_DELIVER } from '../../../src/access/notices';
import { devOutbox, type UserRow } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import type { Job } from '../../../src/platform/jobs';
import { client, createUser, db, signedInUser, tokenFor, uniqueEmail, uniqueId } from '../../helpers';
import { latestCode } from '../../support/auth';
import { capturingQueue, deliveriesOf, runQueue } from '../../support/notifications';
import { account, practice } from '../../support/practice';

/**
 * The app's notices go through the pipeline: a request only enqueues them (after its response), the
 * consumer delivers them. Driven through HTTP, then the captured jobs through the queue consumer.
 */

const V1 = '/api/v1';
const clock = fixedClock('2026-05-01T08:00:00Z');
const queue = capturingQueue();
const api = client({ clock, adapters: queue.adapters });

/** The payloads of deliver jobs, their data as JSON values. */
const payloads = (jobs: Job[]) =>
  jobs.map((job) => job.payload as DeliverPayload & { notice: { data: Record<string, unknown> } });
const emailsTo = (address: string) =>
  api.get(`${V1}/dev/outbox?recipient=${encodeURIComponent(address)}`, {
    env: { ENVIRONMENT: 'development' },
  });
const outboxRows = (address: string) => db.select().from(devOutbox).where(eq(devOutbox.recipient, address)).all();
const inboxOf = async (user: UserRow) =>
  (await api.get(`${V1}/notifications`, { token: await tokenFor(user, clock.now()) })).body.data.items;

/** Delivers what the requests so far enqueued, and answers those jobs. */
async function deliverAll(): Promise<Job[]> {
  const jobs = queue.take(NOTIFY_DELIVER);
  await runQueue(jobs, { deps: { clock } });
  return jobs;
}

describe('appointment notices', () => {
  it('Should notice a booking to both parties: the doctor inbox row, the patient email with its .ics, once', async () => {
    const { doctor, services } = await practice(clock.now());
    const patient = await account('user', clock.now());
    const booked = await api.post(`${V1}/appointments`, {
      token: patient.token,
      json: {
        doctorId: doctor.user.id,
        serviceId: services[0]!.id,
        startsAt: '2026-05-04T10:00:00.000Z',
        type: 'video',
      },
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const id = booked.body.data.id as string;

    const jobs = queue.take(NOTIFY_DELIVER);
    expect(
      payloads(jobs).map((p) => [p.recipientId, p.notice.kind, p.notice.template, p.notice.data.recipientRole]),
    ).toEqual([
      [patient.user.id, 'appointment.booked', 'appointment-booked', 'patient'],
      [doctor.user.id, 'appointment.booked', 'appointment-booked', 'doctor'],
    ]);
    expect(payloads(jobs)[0]!.notice).toMatchObject({
      type: 'appointment',
      subject: { type: 'appointment', id },
      data: { appointmentId: id, startsAt: Date.parse('2026-05-04T10:00:00.000Z'), sequence: 0, pending: true },
    });
    // The queue delivers each message twice: each channel still sends once.
    await runQueue(jobs, { deps: { clock } });
    await runQueue(jobs, { deps: { clock } });

    expect(await inboxOf(doctor.user)).toEqual([
      expect.objectContaining({
        type: 'appointment',
        title: 'Appointment booked',
        body: 'Test Person booked an appointment with you on Monday, May 4, 2026 at 10:00 AM UTC.',
        data: expect.objectContaining({ appointmentId: id }),
      }),
    ]);
    const [email, ...more] = (await emailsTo(patient.user.email!)).body.data.items;
    expect(more).toEqual([]);
    expect(email).toMatchObject({
      subject: 'Kinwell: Appointment booked: Monday, May 4, 2026 at 10:00 AM UTC',
      attachments: [
        expect.objectContaining({ filename: 'appointment.ics', contentType: expect.stringContaining('text/calendar') }),
      ],
    });
    expect(email.body).toContain('The practice will confirm it; we will email you when it does.');
    const ledger = await deliveriesOf(patient.user.id);
    expect(ledger.email).toMatchObject({
      kind: 'appointment.booked',
      subjectId: id,
      status: 'sent',
      attempts: 1,
      providerMessageId: email.id,
    });
    expect(ledger['in-app']).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('Should notice confirmation, each reschedule as its own notice with the previous time, and who cancelled', async () => {
    const { doctor, services } = await practice(clock.now());
    const patient = await account('user', clock.now());
    const booked = await api.post(`${V1}/appointments`, {
      token: patient.token,
      json: {
        doctorId: doctor.user.id,
        serviceId: services[0]!.id,
        startsAt: '2026-05-05T10:00:00.000Z',
        type: 'video',
      },
    });
    const id = booked.body.data.id as string;
    await deliverAll();
    const act = (path: string, token: string, json: unknown = {}) =>
      api.post(`${V1}/appointments/${id}/${path}`, { token, json });

    expect((await act('confirm', doctor.token)).status).toBe(200);
    expect((await act('reschedule', doctor.token, { startsAt: '2026-05-05T11:00:00.000Z' })).status).toBe(200);
    expect((await act('reschedule', doctor.token, { startsAt: '2026-05-05T12:00:00.000Z' })).status).toBe(200);
    expect((await act('cancel', patient.token, { reason: 'Feeling better' })).status).toBe(200);
    const jobs = await deliverAll();
    const toPatient = payloads(jobs).filter((p) => p.recipientId === patient.user.id);
    // The kind keeps each reschedule apart; the data carries the calendar SEQUENCE after each change.
    expect(toPatient.map((p) => [p.notice.kind, p.notice.data.sequence])).toEqual([
      ['appointment.confirmed', 1],
      ['appointment.rescheduled:2', 2],
      ['appointment.rescheduled:3', 3],
      ['appointment.cancelled', 4],
    ]);

    const emails = (await emailsTo(patient.user.email!)).body.data.items.map((m: { subject: string }) => m.subject);
    expect(emails).toEqual(
      expect.arrayContaining([
        'Kinwell: Appointment confirmed: Tuesday, May 5, 2026 at 10:00 AM UTC',
        'Kinwell: Appointment moved to Tuesday, May 5, 2026 at 11:00 AM UTC',
        'Kinwell: Appointment moved to Tuesday, May 5, 2026 at 12:00 PM UTC',
        'Kinwell: Appointment cancelled: Tuesday, May 5, 2026 at 12:00 PM UTC',
      ]),
    );
    const rows = await outboxRows(doctor.user.email!);
    const moved = rows.find((m) => m.subject === 'Kinwell: Appointment moved to Tuesday, May 5, 2026 at 12:00 PM UTC');
    expect(moved!.body).toContain(
      'was moved from Tuesday, May 5, 2026 at 11:00 AM UTC to Tuesday, May 5, 2026 at 12:00 PM UTC',
    );
    expect(moved!.attachments).toHaveLength(1);
    const cancelled = rows.find((m) => m.subject?.startsWith('Kinwell: Appointment cancelled'));
    expect(cancelled!.body).toContain('It was cancelled by the patient.');
    expect(await inboxOf(doctor.user)).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'appointment', title: 'Appointment cancelled' })]),
    );
  });
});

describe('caregiver notices', () => {
  it('Should notice an incoming request to its receiver and an acceptance to its requester', async () => {
    const patient = await createUser({ name: 'Ana Silva' });
    const caregiver = await createUser({ role: 'caregiver', name: 'Rui Costa' });
    const sent = await api.post(`${V1}/caregiver/requests`, {
      token: await tokenFor(patient, clock.now()),
      json: { receiverId: caregiver.id, message: 'About my insulin' },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const [request] = payloads(await deliverAll());
    expect(request).toMatchObject({
      recipientId: caregiver.id,
      notice: { kind: 'caregiver.request', subject: { type: 'caregiver-request', id: sent.body.data.id } },
    });
    // The request's own words stay out of the notice.
    expect(JSON.stringify(request)).not.toContain('insulin');
    expect(await inboxOf(caregiver)).toEqual([
      expect.objectContaining({
        type: 'system',
        title: 'New caregiver request',
        body: 'Ana Silva asked you to be their caregiver. Accept or decline the request in the app.',
      }),
    ]);

    const accepted = await api.patch(`${V1}/caregiver/requests/${sent.body.data.id}`, {
      token: await tokenFor(caregiver, clock.now()),
      json: { status: 'accepted' },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    await deliverAll();
    expect(await inboxOf(patient)).toEqual([
      expect.objectContaining({
        title: 'Caregiver request accepted',
        body: 'Rui Costa accepted your request and is now your caregiver.',
      }),
    ]);
    const [email] = (await emailsTo(patient.email!)).body.data.items;
    expect(email.subject).toBe('Kinwell: Rui Costa is now your caregiver');
  });
});

describe('account security notices', () => {
  it('Should warn the OLD address of an email change, even with system emails turned off', async () => {
    const me = await signedInUser();
    const oldEmail = me.user.email!;
    const token = await tokenFor(me.user, clock.now());
    const off = await api.put(`${V1}/users/me/notification-preferences`, {
      token,
      json: { channels: { email: { system: false } } },
    });
    expect(off.status).toBe(200);
    const newEmail = uniqueEmail('moved');
    expect((await api.post(`${V1}/users/me/email`, { token, json: { newEmail } })).status).toBe(200);
    const otp = await latestCode(api, newEmail);
    const done = await api.post(`${V1}/users/me/email/verify`, { token, json: { newEmail, otp } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    // Nothing was sent inside the request: the notice waits in the queue.
    expect((await emailsTo(oldEmail)).body.data.items).toEqual([]);

    const [job] = await deliverAll();
    expect((job!.payload as DeliverPayload).notice).toMatchObject({
      kind: expect.stringMatching(/^account\.email-changed:\d+$/),
      to: { email: oldEmail },
    });
    const [warning, ...more] = (await emailsTo(oldEmail)).body.data.items;
    expect(more).toEqual([]);
    expect(warning.subject).toBe('Kinwell: Your email address was changed');
    expect(warning.body).toContain(`changed to ${newEmail.slice(0, 1)}`);
    expect(warning.body).not.toContain(newEmail);
    expect((await emailsTo(newEmail)).body.data.items.map((m: { subject: string }) => m.subject)).not.toContain(
      'Kinwell: Your email address was changed',
    );
    expect(await inboxOf(me.user)).toEqual([expect.objectContaining({ title: 'Your email address was changed' })]);
    expect((await deliveriesOf(me.user.id)).email).toMatchObject({ status: 'sent', providerMessageId: warning.id });
  });

  it('Should refuse a job that points a notice other than a security one at its own address', async () => {
    const user = await createUser();
    const [job] = deliverJobs({
      recipients: [user.id],
      kind: 'account.notice',
      type: 'system',
      template: 'notice',
      data: { title: 'Hello', message: 'Hi.' },
      subject: { type: 'account', id: uniqueId('sub') },
      to: { email: 'someone.else@example.test' },
    });
    const run = await runQueue([job!], { deps: { clock } });
    expect(run.retried).toEqual([run.messages[0]!.id]);
    expect((await emailsTo('someone.else@example.test')).body.data.items).toEqual([]);
    expect(await deliveriesOf(user.id)).toEqual({});
  });
});
