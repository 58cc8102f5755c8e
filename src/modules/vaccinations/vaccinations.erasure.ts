import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { vaccineSchedules } from '../../db/schema';

/**
 * The vaccinations module's part of an account erasure (both modes): every vaccine dose planned or
 * recorded for the account and its dependents.
 */
export function vaccinationsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return { statements: [ctx.db.delete(vaccineSchedules).where(eq(vaccineSchedules.ownerId, userId))] };
}
