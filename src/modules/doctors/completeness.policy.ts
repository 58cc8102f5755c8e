import type { DoctorView } from './doctors.schemas';

/** How complete a profile is: the share of its fields that are filled in, and which are not. */
export interface Completeness {
  /** 0–100, rounded. */
  score: number;
  /** The fields still empty, in the order a profile screen shows them. */
  missing: string[];
}

/**
 * What a doctor's profile needs before patients can judge it, in the order the profile screen shows
 * them: each answers whether the field is filled in.
 */
const DOCTOR_FIELDS: readonly (readonly [field: string, filled: (doctor: DoctorView) => boolean])[] = [
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
  const missing = DOCTOR_FIELDS.filter(([, filled]) => !filled(doctor)).map(([field]) => field);
  return {
    score: Math.round((100 * (DOCTOR_FIELDS.length - missing.length)) / DOCTOR_FIELDS.length),
    missing,
  };
}
