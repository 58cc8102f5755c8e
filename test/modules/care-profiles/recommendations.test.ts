import { describe, expect, it } from 'vitest';
import { NOTIFY_DELIVER } from '../../../src/access/notices';
import { client, signedInUser } from '../../helpers';
import { capturingQueue } from '../../support/notifications';
import { insertAppointment, practice } from '../../support/practice';
import { caregiver, expectOk, tripsOf, V1 } from './support';

describe('caregiver recommendations', () => {
  it("Should let a doctor recommend a caregiver to their patient, who is told and sees it with the caregiver's profile", async () => {
    const queue = capturingQueue();
    const api = client({ adapters: queue.adapters });
    const { doctor, services } = await practice(new Date());
    const patient = await signedInUser({ name: 'Pat Patient' });
    await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-02-02T09:00:00Z',
      status: 'completed',
    });
    const cara = await caregiver('Cara Recommended');
    expectOk(
      await api.patch(`${V1}/caregivers/${cara.user.id}/profile`, {
        token: cara.token,
        json: { specialtyIds: ['csp_post-operative-care'], hourlyRateCents: 2500, bio: 'Post-op care' },
      }),
    );

    const res = await api.post(`${V1}/patients/${patient.user.id}/caregiver-recommendations`, {
      token: doctor.token,
      json: { caregiverId: cara.user.id, note: 'Good with wound care.' },
    });
    const made = expectOk(res, 201);
    expect(tripsOf(res)).toBeLessThanOrEqual(2);
    expect(made).toMatchObject({
      doctor: { id: doctor.user.id },
      caregiver: { id: cara.user.id, name: 'Cara Recommended', hourlyRateCents: 2500 },
      note: 'Good with wound care.',
    });
    const notices = queue.take(NOTIFY_DELIVER);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.payload).toMatchObject({
      recipientId: patient.user.id,
      notice: { kind: 'caregiver.recommended', subject: { type: 'caregiver-recommendation', id: made.id } },
    });
    // The note is not in the notice.
    expect(JSON.stringify(notices[0]!.payload)).not.toContain('wound');

    const mine = await api.get(`${V1}/patients/me/caregiver-recommendations`, { token: patient.token });
    const page = expectOk(mine);
    expect(tripsOf(mine)).toBe(1);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      id: made.id,
      doctor: { id: doctor.user.id, name: doctor.user.name },
      note: 'Good with wound care.',
      caregiver: {
        id: cara.user.id,
        specialties: [{ slug: 'post-operative-care' }],
      },
    });
  });

  it('Should answer 404 for a patient the doctor never saw, and 422 for a caregiver not listed', async () => {
    const api = client();
    const { doctor, services } = await practice(new Date());
    const stranger = await signedInUser();
    const patient = await signedInUser();
    await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-02-03T09:00:00Z',
    });
    const cara = await caregiver();
    expectOk(await api.patch(`${V1}/caregivers/${cara.user.id}/profile`, { token: cara.token, json: { bio: 'Hi' } }));
    const notSeen = await api.post(`${V1}/patients/${stranger.user.id}/caregiver-recommendations`, {
      token: doctor.token,
      json: { caregiverId: cara.user.id },
    });
    expect([notSeen.status, notSeen.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const noProfile = await caregiver();
    const unlisted = await api.post(`${V1}/patients/${patient.user.id}/caregiver-recommendations`, {
      token: doctor.token,
      json: { caregiverId: noProfile.user.id },
    });
    expect([unlisted.status, unlisted.body.errors?.[0]?.field]).toEqual([422, 'caregiverId']);
    // Only doctors recommend.
    const asPatient = await api.post(`${V1}/patients/${patient.user.id}/caregiver-recommendations`, {
      token: patient.token,
      json: { caregiverId: cara.user.id },
    });
    expect(asPatient.status).toBe(403);
    expect(
      expectOk(await api.get(`${V1}/patients/me/caregiver-recommendations`, { token: stranger.token })).items,
    ).toEqual([]);
  });
});
