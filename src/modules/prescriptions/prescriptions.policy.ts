import type { AppointmentStatus, Medication, MedicationFrequency } from '../../db/schema';
import { addDays, zonedInstant } from '../../lib/time';
import { STANDARD_TIMES } from './prescriptions.schemas';

/**
 * The pure rules of prescriptions: when one may be written, the clock times a frequency stands for,
 * and when a course ends. Dates are local dates in the prescription's time zone (the patient's profile
 * zone when it was written, else UTC).
 */

/** Appointment statuses a prescription may be written (or changed) on. */
export const PRESCRIBABLE: readonly AppointmentStatus[] = ['confirmed', 'in-progress', 'completed'];

/** The local times of day a frequency stands for, sorted. */
export function timesOf(frequency: MedicationFrequency): string[] {
  const times = 'times' in frequency ? frequency.times : (STANDARD_TIMES[frequency.timesPerDay] ?? []);
  return [...new Set(times)].sort();
}

/** The last local date (inclusive) of a medication's course that starts on `startDate` (day 1). */
export const lastDateOf = (medication: Pick<Medication, 'duration'>, startDate: string) =>
  addDays(startDate, medication.duration.days - 1);

/**
 * When a prescription expires: at midnight (in `timeZone`) after the last day of its longest course.
 */
export function expiryOf(medications: readonly Pick<Medication, 'duration'>[], startDate: string, timeZone: string) {
  const days = Math.max(...medications.map((m) => m.duration.days));
  return zonedInstant(addDays(startDate, days), '00:00', timeZone);
}
