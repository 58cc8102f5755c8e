import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { specialHours, timeOff, weeklyHours } from '../../db/schema';

/**
 * The availability module's part of an account erasure (both modes; nothing for accounts that never
 * practised): the doctor's weekly hours, special hours and time off (whose reasons may be personal) go, since an
 * erased doctor is never bookable again.
 */
export function availabilityErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return {
    statements: [
      ctx.db.delete(weeklyHours).where(eq(weeklyHours.doctorId, userId)),
      ctx.db.delete(specialHours).where(eq(specialHours.doctorId, userId)),
      ctx.db.delete(timeOff).where(eq(timeOff.doctorId, userId)),
    ],
  };
}
