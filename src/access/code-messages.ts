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

/**
 * The email that delivers a one-time code: the branded template (src/lib/email) with its plain-text
 * part, in `locale` when given (English otherwise).
 */
export function codeEmail(purpose: OtpPurpose, code: string, appName = 'Kinwell', locale?: string | null) {
  const { subject, text, html } =
    purpose === 'password-reset'
      ? renderEmail('password-reset', { code }, { appName, locale })
      : renderEmail('verification-code', { code, purpose: HEADINGS[purpose] }, { appName, locale });
  return { subject, text, html };
}

/** The SMS that delivers a sign-in code. */
export function codeSms(code: string, appName = 'Kinwell'): string {
  return `${code} is your ${appName} sign-in code. It expires in 10 minutes.`;
}
