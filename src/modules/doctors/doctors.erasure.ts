import { and, eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { doctorProfiles, doctorServices, doctorSpecializations } from '../../db/schema';

/**
 * The doctors module's part of an account erasure (both modes; nothing for accounts that never
 * practised): the public profile (bio, qualifications, registration number, photo link) and the
 * specializations go. The services are withdrawn, not deleted, as a doctor's own withdrawal does:
 * patients' kept appointments still name the service they booked, and a service (name, length,
 * price) is an offering, not personal data.
 */
export function doctorsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const db = ctx.db;
  return {
    statements: [
      db.delete(doctorSpecializations).where(eq(doctorSpecializations.doctorId, userId)),
      db
        .update(doctorServices)
        .set({ active: false, updatedAt: ctx.clock.now().getTime() })
        .where(and(eq(doctorServices.doctorId, userId), eq(doctorServices.active, true))),
      db.delete(doctorProfiles).where(eq(doctorProfiles.userId, userId)),
    ],
  };
}
