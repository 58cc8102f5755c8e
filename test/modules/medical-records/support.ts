import type { AppointmentStatus } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, tokenFor } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';

/** What the medical records tests share: a fixed clock, a patient and a doctor tied to them by an appointment. */

export const NOW = new Date('2026-07-01T08:00:00Z');
export const DAY = 86_400_000;
export const api = client({ clock: fixedClock(NOW) });

/** A client and a token for `user`, on a clock `ms` after NOW. */
export async function later(user: Parameters<typeof tokenFor>[0], ms: number) {
  const at = new Date(NOW.getTime() + ms);
  return { api: client({ clock: fixedClock(at) }), token: await tokenFor(user, at) };
}

/** A patient, and a doctor with an appointment of `status` with them `daysAgo` days before NOW. */
export async function patientWithDoctor(options: { daysAgo?: number; status?: AppointmentStatus } = {}) {
  const patient = await account('user', NOW);
  const { doctor, services } = await practice(NOW);
  await insertAppointment({
    patientId: patient.user.id,
    doctorId: doctor.user.id,
    serviceId: services[0]!.id,
    startsAt: new Date(NOW.getTime() - (options.daysAgo ?? 10) * DAY).toISOString(),
    status: options.status ?? 'completed',
  });
  return { patient, doctor };
}

export const RECORD = (patientId: string) => `/api/v1/patients/${patientId}/medical-record`;

export const FIRST = {
  baseVersion: 0,
  conditions: [
    { condition: 'Chronic xylophonitis', diagnosedDate: '2021-04-02', treatment: 'Rest', doctor: 'Dr. Okafor' },
  ],
  allergies: [{ allergen: 'Penicillin', reaction: 'Rash', severity: 'moderate' }],
  lifestyle: { smoking: 'never' },
};
