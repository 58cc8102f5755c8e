import { AppError } from '../lib/errors';
import { type OutboxDeps, writeOutbox } from './outbox';

/** An email to one recipient. `text` is always present; `html` when the template has one. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Port: sends email. */
export interface Mailer {
  send(message: EmailMessage): Promise<void>;
}

/** Development/test adapter: stores the message in D1 for GET /api/v1/dev/outbox. */
export function outboxMailer(deps: OutboxDeps): Mailer {
  return {
    send: async (message) => {
      await writeOutbox(deps, {
        channel: 'email',
        recipient: message.to.toLowerCase(),
        subject: message.subject,
        body: message.text,
        ...(message.html ? { html: message.html } : {}),
      });
    },
  };
}

export interface HttpMailerConfig {
  apiKey: string;
  from: string;
  /** Resend-compatible endpoint; defaults to https://api.resend.com/emails. */
  url?: string;
}

/**
 * Production adapter: a Resend-compatible HTTP email API (`POST { from, to, subject, text, html }` with a
 * bearer key). Throws SERVICE_UNAVAILABLE when the provider refuses, so queue consumers retry.
 */
export function httpMailer(config: HttpMailerConfig, fetcher: typeof fetch): Mailer {
  return {
    async send(message) {
      const res = await fetcher(config.url ?? 'https://api.resend.com/emails', {
        method: 'POST',
        headers: { authorization: `Bearer ${config.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          from: config.from,
          to: [message.to],
          subject: message.subject,
          text: message.text,
          ...(message.html ? { html: message.html } : {}),
        }),
      });
      if (!res.ok) {
        throw new AppError('SERVICE_UNAVAILABLE', 'Email provider refused the message', {
          details: { providerStatus: res.status },
        });
      }
    },
  };
}
