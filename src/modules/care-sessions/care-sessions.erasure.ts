import { eq, inArray, or } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { caregiverHours, caregiverSchedules, careSessionEvents, careSessions } from '../../db/schema';
import { cancelLiveSessions } from './cancel-many';

/**
 * The care-sessions module's part of an account erasure (both modes). A patient's sessions go with
 * their account, with their history, their claimed time and their reminders. A caregiver's schedule
 * goes; their live sessions are cancelled (the time freed, the reminders removed) and stay, with the
 * sessions they gave, as the patients' records by id only (`caregiver_id`, `booked_by`).
 */
export function careSessionsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const patients = ctx.db.select({ id: careSessions.id }).from(careSessions).where(eq(careSessions.patientId, userId));
  return {
    statements: [
      ...cancelLiveSessions(
        ctx,
        or(eq(careSessions.patientId, userId), eq(careSessions.caregiverId, userId)),
        { id: userId, role: 'system' },
        'Account deleted',
      ),
      ctx.db.delete(careSessionEvents).where(inArray(careSessionEvents.sessionId, patients)),
      ctx.db.delete(careSessions).where(eq(careSessions.patientId, userId)),
      ctx.db.delete(caregiverHours).where(eq(caregiverHours.caregiverId, userId)),
      ctx.db.delete(caregiverSchedules).where(eq(caregiverSchedules.caregiverId, userId)),
    ],
  };
}
