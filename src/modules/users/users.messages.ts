import { lifetimeText } from '../../access/code-messages';
import { escapeHtml } from '../../lib/html';

/**
 * Messages of the account flows (contact changes, deletion). One-time code emails reuse
 * `codeEmail` of src/access/code-messages.ts; these are the notices and SMS texts it has no template for.
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

function notice(appName: string, subject: string, lines: string[]) {
  const text = lines.join('\n\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif"><h2>${escapeHtml(subject)}</h2>${lines
    .map((line) => `<p>${escapeHtml(line)}</p>`)
    .join('')}</body></html>`;
  return { subject: `${appName}: ${subject}`, text, html };
}

const NOT_YOU = 'If you did not make this change, reset your password and contact support right away.';

/** Sent to the OLD address after an email change. */
export function emailChangedNotice(newEmail: string, appName = 'Kinwell') {
  return notice(appName, 'Your email address was changed', [
    `The email address of your ${appName} account was changed to ${maskEmail(newEmail)}. This address will no longer receive account messages.`,
    NOT_YOU,
  ]);
}

/** Sent to the account's email after a mobile number change. */
export function mobileChangedNotice(newNumber: string, appName = 'Kinwell') {
  return notice(appName, 'Your mobile number was changed', [
    `The mobile number of your ${appName} account was changed to ${maskPhone(newNumber)}.`,
    NOT_YOU,
  ]);
}

/** The SMS confirming a new mobile number, with a code living `ttlMs`. */
export function changeMobileSms(code: string, ttlMs: number, appName = 'Kinwell'): string {
  return `${code} is your ${appName} code to confirm this number. It expires in ${lifetimeText(ttlMs)}.`;
}

/** The SMS confirming an account deletion, with a code living `ttlMs`. */
export function accountDeletionSms(code: string, ttlMs: number, appName = 'Kinwell'): string {
  return `${code} is your ${appName} code to DELETE your account. It expires in ${lifetimeText(ttlMs)}. Ignore it if you did not ask.`;
}
