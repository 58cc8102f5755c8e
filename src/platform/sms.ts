import { AppError } from '../lib/errors';
import { providerId, type SendReceipt } from './mailer';
import { type OutboxDeps, writeOutbox } from './outbox';

/** A text message to an E.164 number. */
export interface SmsMessage {
  to: string;
  body: string;
}

/** Port: sends SMS. Resolves once the provider accepted the message. */
export interface SmsSender {
  send(message: SmsMessage): Promise<SendReceipt>;
}

/** Development/test adapter: stores the message in D1 for GET /api/v1/dev/outbox. */
export function outboxSms(deps: OutboxDeps): SmsSender {
  return {
    send: async (message) => ({
      providerMessageId: await writeOutbox(deps, { channel: 'sms', recipient: message.to, body: message.body }),
    }),
  };
}

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  from: string;
}

/**
 * Production adapter: Twilio's Messages REST API called with fetch. The twilio-node REST client is
 * reported to fail on Workers (twilio-node#1096) and weighs ~565 KB gzip, so it is not used here.
 */
export function twilioSms(config: TwilioConfig, fetcher: typeof fetch): SmsSender {
  return {
    async send(message) {
      const url = `https://api.twilio.com/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
      const res = await fetcher(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${btoa(`${config.accountSid}:${config.authToken}`)}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ To: message.to, From: config.from, Body: message.body }).toString(),
      });
      if (!res.ok) {
        throw new AppError('SERVICE_UNAVAILABLE', 'SMS provider refused the message', {
          details: { providerStatus: res.status },
        });
      }
      return { providerMessageId: await providerId(res, 'sid') };
    },
  };
}
