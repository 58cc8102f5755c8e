import type { AuthedContext } from '../../../context';
import { factorState } from '../sign-in.service';

/** The caller's second factors. */
export async function twoFactorStatus(ctx: AuthedContext) {
  const state = await factorState(ctx, ctx.actor.id);
  return {
    methods: state.on,
    recoveryCodesRemaining: state.on.length ? state.recoveryRemaining : 0,
    totpPending: Boolean(state.mfa?.totpSecretEncrypted && !state.mfa.totpEnabledAt),
  };
}
