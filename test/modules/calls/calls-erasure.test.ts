import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  callConsents,
  callInvitations,
  callMessages,
  callParticipants,
  callRecordings,
  callSessions,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, testEnv, uniqueId } from '../../helpers';
import { insertCallSession, insertRecording, insertVideoAppointment } from '../../support/calls';
import { account } from '../../support/practice';

const NOW = new Date('2026-07-01T08:00:00Z');
const api = client({ clock: fixedClock(NOW) });

/** A patient's ended call with a stored recording, a guest who chatted and consented in it, and the guest's own call elsewhere. */
async function scene() {
  const { appointment, doctor, patient } = await insertVideoAppointment({
    now: NOW,
    startsAt: '2026-06-30T09:00:00.000Z',
    status: 'completed',
  });
  const session = await insertCallSession(appointment, { status: 'ended', endedBy: doctor.user.id });
  const key = `recordings/${appointment.id}/stored`;
  await testEnv.FILES.put(key, new Uint8Array([1, 2, 3]));
  const recording = await insertRecording(session, doctor.user.id, {
    status: 'stored',
    storageKey: key,
    sizeBytes: 3,
    storedAt: NOW.getTime(),
    deleteAfter: NOW.getTime() + 86_400_000,
  });
  const guest = await account('caregiver', NOW);
  const invitationId = uniqueId('cinv');
  await db.insert(callInvitations).values({
    id: invitationId,
    appointmentId: appointment.id,
    tokenHash: uniqueId('hash'),
    label: 'Caregiver',
    invitedBy: doctor.user.id,
    expiresAt: NOW.getTime(),
    usedBy: guest.user.id,
    usedAt: NOW.getTime() - 1000,
    createdAt: NOW.getTime() - 5000,
  });
  const at = session.openedAt;
  for (const [userId, role] of [
    [doctor.user.id, 'doctor'],
    [patient.user.id, 'patient'],
    [guest.user.id, 'guest'],
  ] as const) {
    await db
      .insert(callParticipants)
      .values({ sessionId: session.id, userId, role, firstJoinedAt: at, lastJoinedAt: at });
    await db.insert(callMessages).values({
      id: uniqueId('cmsg'),
      sessionId: session.id,
      appointmentId: appointment.id,
      senderId: userId,
      body: `hello from ${role}`,
      createdAt: at,
    });
    await db.insert(callConsents).values({
      id: uniqueId('ccon'),
      sessionId: session.id,
      appointmentId: appointment.id,
      userId,
      action: 'given',
      at,
    });
  }
  return { appointment, doctor, patient, guest, session, recording, key, invitationId };
}

const purge = async (userId: string) => {
  const admin = await account('admin', NOW);
  const res = await api.delete(`/api/v1/admin/users/${userId}`, {
    token: admin.token,
    json: { reason: 'Calls erasure' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

describe('calls: account erasure', () => {
  it("Should delete the patient's sessions with everything in them, the recording's bytes included", async () => {
    const { patient, session, recording, key, invitationId } = await scene();
    await purge(patient.user.id);
    expect(await db.$count(callSessions, eq(callSessions.id, session.id))).toBe(0);
    expect(await db.$count(callParticipants, eq(callParticipants.sessionId, session.id))).toBe(0);
    expect(await db.$count(callMessages, eq(callMessages.sessionId, session.id))).toBe(0);
    expect(await db.$count(callConsents, eq(callConsents.sessionId, session.id))).toBe(0);
    expect(await db.$count(callRecordings, eq(callRecordings.id, recording.id))).toBe(0);
    expect(await db.$count(callInvitations, eq(callInvitations.id, invitationId))).toBe(0);
    expect(await testEnv.FILES.head(key)).toBeNull();
  });

  it("Should delete only a guest's own messages, consents, participation and invitation in someone else's call", async () => {
    const { guest, doctor, session, key, invitationId } = await scene();
    await purge(guest.user.id);
    expect(await db.$count(callSessions, eq(callSessions.id, session.id))).toBe(1);
    const senders = await db
      .select({ id: callMessages.senderId })
      .from(callMessages)
      .where(eq(callMessages.sessionId, session.id))
      .all();
    expect(senders.map((s) => s.id)).not.toContain(guest.user.id);
    expect(senders).toHaveLength(2);
    expect(await db.$count(callConsents, eq(callConsents.userId, guest.user.id))).toBe(0);
    expect(await db.$count(callParticipants, inArray(callParticipants.userId, [guest.user.id, doctor.user.id]))).toBe(
      1,
    );
    expect(await db.$count(callInvitations, eq(callInvitations.id, invitationId))).toBe(0);
    expect(await testEnv.FILES.head(key)).not.toBeNull();
  });
});
