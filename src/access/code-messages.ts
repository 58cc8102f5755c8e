import type { OtpPurpose } from '../db/schema';
import type { CodePurpose } from '../lib/email/strings';
import { renderEmail } from '../lib/email/templates';

/** The email and the SMS that deliver a one-time code (./one-time-codes.ts), for every purpose. */

/** The template heading of each code purpose; a password reset has a template of its own. */
const HEADINGS: Record<Exclude<OtpPurpose, 'password-reset'>, CodePurpose> = {
  'verify-email': 'verify-email',
  'change-email': 'change-email',
  'change-mobile': 'change-mobile',
  'account-deletion': 'account-deletion',
  invitation: 'invitation',
  'login-email': 'sign-in',
  'login-sms': 'sign-in',
  'two-factor': 'two-factor',
  'email-2fa-setup': 'security',
};

/** "10 minutes", "1 minute": how long a code of `ttlMs` lasts, for its message. */
export function lifetimeText(ttlMs: number): string {
  const minutes = Math.round(ttlMs / 60_000);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/**
 * The email that delivers a one-time code living `ttlMs`: the branded template (src/lib/email) with its
 * plain-text part, in `locale` when given (English otherwise).
 */
export function codeEmail(
  purpose: OtpPurpose,
  code: string,
  ttlMs: number,
  appName = 'Kinwell',
  locale?: string | null,
) {
  const minutes = Math.round(ttlMs / 60_000);
  const { subject, text, html } =
    purpose === 'password-reset'
      ? renderEmail('password-reset', { code, minutes }, { appName, locale })
      : renderEmail('verification-code', { code, purpose: HEADINGS[purpose], minutes }, { appName, locale });
  return { subject, text, html };
}

/** The SMS that delivers a sign-in code living `ttlMs`. */
export function codeSms(code: string, ttlMs: number, appName = 'Kinwell'): string {
  return `${code} is your ${appName} sign-in code. It expires in ${lifetimeText(ttlMs)}.`;
}
