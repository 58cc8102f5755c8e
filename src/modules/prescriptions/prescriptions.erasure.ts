import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { prescriptions } from '../../db/schema';

/**
 * The prescriptions module's part of an account erasure, as appointment notes are treated: a
 * prescription is the clinical record of both its patient and its doctor.
 * - As doctor (both modes): the prescriptions they wrote stay as their patients' records (the
 *   tombstone user row names no one).
 * - As patient, `anonymize` (self-deletion): theirs stay as the doctor's records; their schedules go
 *   with the schedules module's part.
 * - As patient, `purge`: every prescription written for them goes.
 */
export function prescriptionsErasure(ctx: ServiceContext, userId: string, mode: EraseMode): Erasure {
  if (mode !== 'purge') return { statements: [] };
  return { statements: [ctx.db.delete(prescriptions).where(eq(prescriptions.patientId, userId))] };
}
