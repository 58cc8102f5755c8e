import type { UserRow } from '../../db/schema';

/**
 * The ways an account can sign in without a password, decided from what the account holds and which
 * sign-in features are on. An account must always keep one: removing its password (and deleting its
 * last passkey once it has none) is refused when this list would be empty.
 */

/** A sign-in method that needs no password. */
export type PasswordlessMethod = 'email-code' | 'sms-code' | 'google' | 'facebook' | 'passkey';

/** What the account holds that can sign it in: its row and how many passkeys it has registered. */
export type SignInFacts = Pick<
  UserRow,
  'email' | 'emailVerifiedAt' | 'mobileNumber' | 'mobileVerifiedAt' | 'googleSub' | 'facebookId'
> & { passkeys: number };

/** The feature flags of the sign-in methods (`features.smsSignIn`, `features.googleSignIn`, `features.facebookSignIn`, `features.passkeys`). */
export interface SignInFlags {
  smsSignIn: boolean;
  googleSignIn: boolean;
  facebookSignIn: boolean;
  passkeys: boolean;
}

/**
 * The passwordless methods that can sign the account in today, in a stable order. A verified email
 * counts whatever the flags (email codes, `POST /auth/otp/send`, cannot be turned off; the same
 * address also receives password-reset codes); an unverified one does not, since nobody has shown it
 * is theirs. A verified mobile number counts while SMS sign-in is on, a linked Google account while
 * Google sign-in is on, a linked Facebook account while Facebook sign-in is on, a registered passkey while passkey sign-in is on: a method turned off now is
 * no way in now.
 */
export function passwordlessMethods(account: SignInFacts, flags: SignInFlags): PasswordlessMethod[] {
  const methods: PasswordlessMethod[] = [];
  if (account.email && account.emailVerifiedAt !== null) methods.push('email-code');
  if (account.mobileNumber && account.mobileVerifiedAt !== null && flags.smsSignIn) methods.push('sms-code');
  if (account.googleSub && flags.googleSignIn) methods.push('google');
  if (account.facebookId && flags.facebookSignIn) methods.push('facebook');
  if (account.passkeys > 0 && flags.passkeys) methods.push('passkey');
  return methods;
}
