/**
 * Passkeys (WebAuthn). Each verb lives in ./passkeys/<verb>.ts: registering one, managing one's own,
 * signing in with one, and answering a second-factor challenge with one; ./passkeys/shared.ts holds the
 * relying party, the stored challenges and assertion checks they share. Turning passkeys on as a second
 * factor is a two-factor verb (./two-factor.service.ts).
 */
export { deletePasskey, listPasskeys } from './passkeys/manage';
export { registerPasskey, registrationOptions } from './passkeys/register';
export { twoFactorPasskeyOptions, verifyPasskeyForChallenge } from './passkeys/second-factor';
export {
  PASSKEY_OPTIONS_LIMIT,
  PASSKEY_SIGN_IN_LIMIT,
  toPasskeyView,
  WEBAUTHN_CHALLENGE_TTL_MS,
} from './passkeys/shared';
export { authenticationOptions, signInWithPasskey } from './passkeys/sign-in';
