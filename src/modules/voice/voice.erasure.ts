import { eq, inArray, or } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { phoneCalls, users } from '../../db/schema';

/**
 * The voice module's part of an account erasure, the same in both modes. The call log is operational,
 * not a medical record: the masked calls the account took part in (as doctor or patient) go, and so
 * do the calls from or to its mobile number (read from the user row, which the users module clears
 * later in the same batch).
 */
export function voiceErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const db = ctx.db;
  const mobile = db.select({ n: users.mobileNumber }).from(users).where(eq(users.id, userId));
  return {
    statements: [
      db
        .delete(phoneCalls)
        .where(
          or(
            eq(phoneCalls.doctorId, userId),
            eq(phoneCalls.patientId, userId),
            inArray(phoneCalls.fromNumber, mobile),
            inArray(phoneCalls.toNumber, mobile),
          ),
        ),
    ],
  };
}
