import { toBase64 } from '../ids';

/** A file attached to an email: its bytes as standard base64, as provider APIs take them. */
export interface EmailAttachment {
  filename: string;
  /** MIME type, e.g. `text/calendar; charset=utf-8; method=PUBLISH`. */
  contentType: string;
  /** The bytes, standard base64 (padded). */
  content: string;
}

/** `text` encoded as UTF-8 and attached as `filename`. */
export function textAttachment(filename: string, contentType: string, text: string): EmailAttachment {
  return { filename, contentType, content: toBase64(new TextEncoder().encode(text)) };
}

/** The decoded size in bytes of a padded base64 string (what the outbox records of an attachment). */
export function base64Size(content: string): number {
  const padding = content.endsWith('==') ? 2 : content.endsWith('=') ? 1 : 0;
  return Math.floor((content.length * 3) / 4) - padding;
}
