import { base64Size, type EmailAttachment } from '../lib/email/attachment';
import { AppError } from '../lib/errors';
import { type OutboxDeps, writeOutbox } from './outbox';

/** An email to one recipient. `text` is always present; `html` when the template has one. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Files to attach (e.g. an appointment's `.ics`). */
  attachments?: EmailAttachment[];
  /**
   * Makes a retried send of the same message a no-op at the provider (sent as `Idempotency-Key`), so a
   * crash between the provider's acceptance and the caller's record of it cannot send twice.
   */
  idempotencyKey?: string;
}

/** What a provider answered for an accepted message. */
export interface SendReceipt {
  /** The provider's id of the message (the outbox row's id in development), when it gives one. */
  providerMessageId: string | null;
}

/** Port: sends email. Resolves once the provider accepted the message. */
export interface Mailer {
  send(message: EmailMessage): Promise<SendReceipt>;
}

/**
 * Development/test adapter: stores the message in D1 for GET /api/v1/dev/outbox, with its attachments'
 * names, types and sizes (not their bytes: the outbox is for seeing what was sent).
 */
export function outboxMailer(deps: OutboxDeps): Mailer {
  return {
    send: async (message) => ({
      providerMessageId: await writeOutbox(deps, {
        channel: 'email',
        recipient: message.to.toLowerCase(),
        subject: message.subject,
        body: message.text,
        ...(message.html ? { html: message.html } : {}),
        attachments: message.attachments?.map((file) => ({
          filename: file.filename,
          contentType: file.contentType,
          size: base64Size(file.content),
        })),
      }),
    }),
  };
}

export interface HttpMailerConfig {
  apiKey: string;
  from: string;
  /** Resend-compatible endpoint; defaults to https://api.resend.com/emails. */
  url?: string;
}

/**
 * Production adapter: a Resend-compatible HTTP email API (`POST { from, to, subject, text, html,
 * attachments: [{ filename, content, content_type }] }` with a bearer key; `content` is base64). Throws
 * SERVICE_UNAVAILABLE when the provider refuses, so queue consumers retry.
 */
export function httpMailer(config: HttpMailerConfig, fetcher: typeof fetch): Mailer {
  return {
    async send(message) {
      const res = await fetcher(config.url ?? 'https://api.resend.com/emails', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${config.apiKey}`,
          'content-type': 'application/json',
          ...(message.idempotencyKey ? { 'idempotency-key': message.idempotencyKey } : {}),
        },
        body: JSON.stringify({
          from: config.from,
          to: [message.to],
          subject: message.subject,
          text: message.text,
          ...(message.html ? { html: message.html } : {}),
          ...(message.attachments?.length
            ? {
                attachments: message.attachments.map((file) => ({
                  filename: file.filename,
                  content: file.content,
                  content_type: file.contentType,
                })),
              }
            : {}),
        }),
      });
      if (!res.ok) {
        throw new AppError('SERVICE_UNAVAILABLE', 'Email provider refused the message', {
          details: { providerStatus: res.status },
        });
      }
      return { providerMessageId: await providerId(res, 'id') };
    },
  };
}

/** The provider's message id under `field` of a JSON answer, or null when the answer has none. */
export async function providerId(res: Response, field: string): Promise<string | null> {
  const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  const id = body?.[field];
  return typeof id === 'string' ? id : null;
}
