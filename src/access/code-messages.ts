import type { OtpPurpose } from '../db/schema';
import { escapeHtml } from '../lib/html';

/** The email and the SMS that deliver a one-time code (./one-time-codes.ts), for every purpose. */

const SUBJECTS: Record<OtpPurpose, string> = {
  'verify-email': 'Verify your email',
  'change-email': 'Confirm your new email',
  'change-mobile': 'Confirm your new number',
  'account-deletion': 'Confirm account deletion',
  invitation: 'You have been invited',
  'login-email': 'Your sign-in code',
  'login-sms': 'Your sign-in code',
  'password-reset': 'Reset your password',
  'two-factor': 'Your verification code',
  'email-2fa-setup': 'Your security code',
};

/** "10 minutes", "1 minute": how long a code of `ttlMs` lasts, for its message. */
export function lifetimeText(ttlMs: number): string {
  const minutes = Math.round(ttlMs / 60_000);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** The email that delivers a one-time code living `ttlMs`: plain text plus a small HTML version. */
export function codeEmail(purpose: OtpPurpose, code: string, ttlMs: number, appName = 'Kinwell') {
  const subject = `${appName}: ${SUBJECTS[purpose]}`;
  const expires = `It expires in ${lifetimeText(ttlMs)}.`;
  const text = `Your ${appName} code is ${code}. ${expires} If you did not ask for it, ignore this email.`;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif"><h2>${escapeHtml(SUBJECTS[purpose])}</h2><p>Your ${escapeHtml(appName)} code is</p><p style="font-size:28px;letter-spacing:6px"><strong>${code}</strong></p><p>${expires} If you did not ask for it, ignore this email.</p></body></html>`;
  return { subject, text, html };
}

/** The SMS that delivers a sign-in code living `ttlMs`. */
export function codeSms(code: string, ttlMs: number, appName = 'Kinwell'): string {
  return `${code} is your ${appName} sign-in code. It expires in ${lifetimeText(ttlMs)}.`;
}
