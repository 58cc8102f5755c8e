import type { ServiceContext } from '../../../context';
import { factorState } from '../sign-in.service';
import { actorId } from './shared';

/** The caller's second factors. */
export async function twoFactorStatus(ctx: ServiceContext) {
  const state = await factorState(ctx, actorId(ctx));
  return {
    methods: state.on,
    recoveryCodesRemaining: state.on.length ? state.recoveryRemaining : 0,
    totpPending: Boolean(state.mfa?.totpSecretEncrypted && !state.mfa.totpEnabledAt),
  };
}
