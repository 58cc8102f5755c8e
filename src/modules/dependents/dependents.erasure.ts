import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { dependents } from '../../db/schema';

/**
 * The dependents module's part of an account erasure (both modes): the people the account managed
 * (children, parents) go with it; their vaccine plans go with the vaccinations module's part.
 */
export function dependentsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return { statements: [ctx.db.delete(dependents).where(eq(dependents.userId, userId))] };
}
