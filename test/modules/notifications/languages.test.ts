import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliverJobs, type NotifyInput } from '../../../src/access/notices';
import { devOutbox, notifications, userProfiles, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { SMS_MAX } from '../../../src/modules/notifications/render';
import { createUser, db, uniqueId, uniqueMobile } from '../../helpers';
import { deliveriesOf, runQueue } from '../../support/notifications';

/**
 * Notices through the consumer in the recipient's language and zone: the email from its template (with
 * the `.ics` of appointment changes), the inbox row and the SMS in the same language.
 */

const clock = fixedClock('2026-05-01T08:00:00Z');
/** Friday 15 May 2026, 14:30 in Nairobi (UTC+3). */
const START = Date.parse('2026-05-15T11:30:00Z');

/** An account with a verified email and mobile number and the profile's language and zone. */
async function person(profile: { preferredLanguage: string | null; timeZone: string | null }) {
  const user = await createUser({ name: 'Amina Njeri' });
  const mobile = uniqueMobile();
  await db.update(users).set({ mobileNumber: mobile, mobileVerifiedAt: Date.now() }).where(eq(users.id, user.id));
  await db.insert(userProfiles).values({ userId: user.id, ...profile, updatedAt: Date.now() });
  return { ...user, mobile };
}

function bookedNotice(recipientId: string): NotifyInput<'appointment-booked'> {
  const appointmentId = uniqueId('apt');
  return {
    recipients: [recipientId],
    kind: 'appointment.booked',
    type: 'appointment',
    template: 'appointment-booked',
    data: {
      appointmentId,
      startsAt: START,
      endsAt: START + 30 * 60_000,
      type: 'video',
      serviceName: 'General consultation',
      doctorName: 'Dana Demo',
      patientName: 'Amina Njeri',
      recipientRole: 'patient',
      pending: false,
      sequence: 0,
      updatedAt: clock.now().getTime(),
      timeZone: 'Europe/Lisbon',
    },
    subject: { type: 'appointment', id: appointmentId },
  };
}

const outboxOf = (recipient: string) => db.select().from(devOutbox).where(eq(devOutbox.recipient, recipient)).all();
const inboxOf = (userId: string) => db.select().from(notifications).where(eq(notifications.userId, userId)).all();

describe('notices in the recipient language', () => {
  it('Should send a Swahili reader a Swahili email with the .ics, and the inbox row and SMS in Swahili', async () => {
    const amina = await person({ preferredLanguage: 'sw-KE', timeZone: 'Africa/Nairobi' });
    const [job] = deliverJobs(bookedNotice(amina.id));
    expect((await runQueue([job!], { deps: { clock } })).acked).toHaveLength(1);

    const [email, ...more] = await outboxOf(amina.email!);
    expect(more).toEqual([]);
    expect(email!.subject).toBe('Kinwell: Miadi imewekwa: Ijumaa, 15 Mei 2026 saa 14:30 GMT +3');
    expect(email!.html).toContain('<html lang="sw-KE" dir="ltr">');
    expect(email!.html).toContain('Miadi yako na Dkt. Dana Demo ya Ijumaa, 15 Mei 2026 saa 14:30 GMT +3 imewekwa.');
    expect(email!.body).toContain('Unapokea barua pepe hii kwa sababu una akaunti ya Kinwell.');
    expect(email!.attachments).toEqual([
      {
        filename: 'appointment.ics',
        contentType: 'text/calendar; charset=utf-8; method=PUBLISH',
        size: expect.any(Number),
      },
    ]);
    expect(email!.attachments![0]!.size).toBeGreaterThan(200);

    const [inbox] = await inboxOf(amina.id);
    expect(inbox).toMatchObject({
      type: 'appointment',
      title: 'Miadi imewekwa',
      body: 'Miadi yako na Dkt. Dana Demo ya Ijumaa, 15 Mei 2026 saa 14:30 GMT +3 imewekwa.',
    });
    // The inbox keeps the values the notice was made from, instants as epoch ms.
    expect(inbox!.data).toMatchObject({ startsAt: START, recipientRole: 'patient' });

    const [sms] = await outboxOf(amina.mobile);
    expect(sms!.body).toBe(
      'Kinwell: Miadi imewekwa: Miadi yako na Dkt. Dana Demo ya Ijumaa, 15 Mei 2026 saa 14:30 GMT +3 imewekwa.',
    );
    const ledger = await deliveriesOf(amina.id);
    expect(ledger.email).toMatchObject({ status: 'sent', providerMessageId: email!.id });
    expect(ledger.sms).toMatchObject({ status: 'sent', providerMessageId: sms!.id });
  });

  it('Should fall back to English for a language without a catalog, in the notice zone when the reader has none', async () => {
    const pierre = await person({ preferredLanguage: 'fr-FR', timeZone: null });
    const [job] = deliverJobs(bookedNotice(pierre.id));
    await runQueue([job!], { deps: { clock } });

    const [email] = await outboxOf(pierre.email!);
    // Lisbon is UTC+1 in May: 11:30 UTC reads 12:30 there.
    expect(email!.subject).toBe('Kinwell: Appointment booked: Friday, May 15, 2026 at 12:30 PM GMT+1');
    expect(email!.html).toContain('<html lang="en" dir="ltr">');
    expect(email!.attachments).toHaveLength(1);
    expect((await inboxOf(pierre.id))[0]).toMatchObject({
      title: 'Appointment booked',
      body: 'Your appointment with Dr. Dana Demo on Friday, May 15, 2026 at 12:30 PM GMT+1 is booked.',
    });
  });

  it('Should keep an SMS within its length, cut at a character, and the inbox text whole', async () => {
    const reader = await person({ preferredLanguage: 'en', timeZone: 'UTC' });
    const message = `Kinwell will be read-only on Sunday night. ${'Maintenance window details follow. '.repeat(12)}👍`;
    const [job] = deliverJobs({
      recipients: [reader.id],
      kind: 'account.notice',
      type: 'system',
      preference: 'appointments',
      template: 'notice',
      data: { title: 'Scheduled maintenance', message },
      subject: { type: 'account', id: uniqueId('sub') },
    });
    await runQueue([job!], { deps: { clock } });

    const [sms] = await outboxOf(reader.mobile);
    expect(Array.from(sms!.body)).toHaveLength(SMS_MAX);
    expect(sms!.body.startsWith('Kinwell: Scheduled maintenance: Kinwell will be read-only')).toBe(true);
    expect(sms!.body.endsWith('…')).toBe(true);
    expect((await inboxOf(reader.id))[0]).toMatchObject({ title: 'Scheduled maintenance', body: message });
    const [email] = await outboxOf(reader.email!);
    expect(email!.subject).toBe('Kinwell: Scheduled maintenance');
    expect(email!.attachments).toBeNull();
  });

  it('Should refuse a job whose data does not fit its template, sending nothing', async () => {
    const reader = await person({ preferredLanguage: 'en', timeZone: 'UTC' });
    const input = bookedNotice(reader.id);
    const [job] = deliverJobs({ ...input, data: { ...input.data, startsAt: '2026-05-15T11:30:00Z' as never } });
    const run = await runQueue([job!], { deps: { clock } });
    expect(run.retried).toEqual([run.messages[0]!.id]);
    expect(await outboxOf(reader.email!)).toEqual([]);
    expect(await deliveriesOf(reader.id)).toEqual({});
  });
});
