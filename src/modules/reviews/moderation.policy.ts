/**
 * The automatic filter every review's text passes on create and edit. It does not judge opinions: it
 * holds for an admin only text that must not go public unseen.
 * - Contact details: an email address, a phone number (7 or more digits, allowing spaces, dots, dashes
 *   and brackets between them, with or without `+`), or a link (`http(s)://`, `www.`, or a bare domain
 *   with a common top-level domain). Reviews are no channel for touting or for doxxing a doctor.
 * - Flagged words: FLAGGED_WORDS below, matched as whole words, case-insensitive: slurs and abuse a
 *   public page must not carry. Kept short on purpose: every word on it holds honest reviews too.
 */
export const FLAGGED_WORDS: readonly string[] = [
  'idiot',
  'moron',
  'retard',
  'bitch',
  'bastard',
  'asshole',
  'fuck',
  'fucking',
  'shit',
  'scam',
  'fraud',
  'quack',
];

export type HeldReason = 'contact-details' | 'flagged-words';

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[a-z]{2,}/iu;
// Seven or more digits, separators allowed between them: a date (2026-07-01) has eight but would be
// held; a review rarely needs one, and a held review only waits for an admin.
const PHONE = /(?:\+|\b)\d(?:[\s.\-()]{0,2}\d){6,}/u;
const URL =
  /\b(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|co|info|biz|me|app|health|pt|uk|de|fr|es|br)\b/iu;
const WORDS = new RegExp(`\\b(?:${FLAGGED_WORDS.join('|')})\\b`, 'iu');

/** Why the filter holds `text`, or null when it may be published. Contact details are checked first. */
export function heldReasonOf(text: string | null | undefined): HeldReason | null {
  if (!text) return null;
  if (EMAIL.test(text) || PHONE.test(text) || URL.test(text)) return 'contact-details';
  if (WORDS.test(text)) return 'flagged-words';
  return null;
}
