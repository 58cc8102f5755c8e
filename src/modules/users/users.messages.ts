import { lifetimeText } from '../../access/code-messages';

/**
 * Messages of the account flows (contact changes, deletion). One-time code emails reuse
 * `codeEmail` of src/access/code-messages.ts; the notices of a done change are the `email-changed` and
 * `mobile-changed` templates (sent through the notification pipeline, with the addresses masked here);
 * these are the SMS texts.
 */

/** `pat@example.com` → `p••@example.com`: enough to recognise, not enough to harvest. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}${'•'.repeat(Math.max(2, local.length - 1))}@${domain}`;
}

/** `+14155550123` → `•••0123`. */
export function maskPhone(number: string): string {
  return `•••${number.slice(-4)}`;
}

/** The SMS confirming a new mobile number, with a code living `ttlMs`. */
export function changeMobileSms(code: string, ttlMs: number, appName = 'Kinwell'): string {
  return `${code} is your ${appName} code to confirm this number. It expires in ${lifetimeText(ttlMs)}.`;
}

/** The SMS confirming an account deletion, with a code living `ttlMs`. */
export function accountDeletionSms(code: string, ttlMs: number, appName = 'Kinwell'): string {
  return `${code} is your ${appName} code to DELETE your account. It expires in ${lifetimeText(ttlMs)}. Ignore it if you did not ask.`;
}
