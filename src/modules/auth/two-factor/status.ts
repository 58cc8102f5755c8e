import type { AuthedContext } from '../../../context';
import { factorState } from '../sign-in.service';
import { statusOf } from './shared';

/** The caller's second factors, in one round trip. */
export async function twoFactorStatus(ctx: AuthedContext) {
  return statusOf(await factorState(ctx, ctx.actor.id));
}
