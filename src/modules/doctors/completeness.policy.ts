import { type Completeness, completenessOf, type FieldCheck } from '../../lib/completeness';
import type { DoctorView } from './doctors.schemas';

/**
 * What a doctor's profile needs before patients can judge it, in the order the profile screen shows
 * them.
 */
const DOCTOR_FIELDS: readonly FieldCheck<DoctorView>[] = [
  ['photo', (d) => d.photo !== null],
  ['bio', (d) => Boolean(d.bio?.trim())],
  ['specializations', (d) => d.specializations.length > 0],
  ['qualifications', (d) => d.qualifications.length > 0],
  ['registrationNumber', (d) => Boolean(d.registrationNumber?.trim())],
  ['languages', (d) => d.languages.length > 0],
  ['yearsOfExperience', (d) => d.yearsOfExperience !== null],
  ['consultationFee', (d) => d.consultationFee !== null],
  ['services', (d) => d.services.length > 0],
];

/** The completeness of a doctor's profile (shown to the doctor and to admins, never in the directory). */
export function doctorCompleteness(doctor: DoctorView): Completeness {
  return completenessOf(doctor, DOCTOR_FIELDS);
}
