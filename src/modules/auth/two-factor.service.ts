/**
 * Second factors. Each verb lives in ./two-factor/<verb>.ts: status, enable (TOTP, email, passkey),
 * disable, regenerate recovery codes, and verify (answering a sign-in challenge); the factor mechanics
 * are ./two-factor/totp.ts and ./two-factor/recovery-codes.ts, and what the verbs share is
 * ./two-factor/shared.ts.
 */
export type { EnableableFactor } from './sign-in.service';
export { disableTwoFactor } from './two-factor/disable';
export { enableEmail, enablePasskeyTwoFactor, enableTotp, setupEmail, setupTotp } from './two-factor/enable';
export { RECOVERY_CODE_COUNT } from './two-factor/recovery-codes';
export { regenerateRecoveryCodes } from './two-factor/regenerate';
export { TWO_FACTOR_LIMITS } from './two-factor/shared';
export { twoFactorStatus } from './two-factor/status';
export { sendTwoFactorEmail, verifyTwoFactor } from './two-factor/verify';
