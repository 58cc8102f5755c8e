import { constantTimeEqual } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { toBase64 } from '../lib/ids';
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
  /**
   * The absolute URL Twilio posts the message's status changes to (`StatusCallback`); without it
   * Twilio reports nothing and deliveries stay `sent`.
   */
  statusCallback?: string;
}

/** Where Twilio's message status callbacks arrive, under the API's public origin (`PUBLIC_URL`). */
export const TWILIO_STATUS_CALLBACK_PATH = '/api/v1/webhooks/twilio/sms-status';

/** The status callback URL for the API served at `publicUrl`, or none when no public URL is configured. */
export function twilioStatusCallbackUrl(publicUrl: string | undefined): string | undefined {
  const origin = publicUrl?.trim().replace(/\/+$/, '');
  return origin ? `${origin}${TWILIO_STATUS_CALLBACK_PATH}` : undefined;
}

/** The account a Twilio REST request is made for, and its auth token (HTTP basic auth). */
export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

/**
 * POSTs `form` to one of the account's Twilio REST resources (`Messages`, `Calls`), form-encoded with
 * basic auth, over `fetcher`. The answer is the caller's to read.
 */
export function postToTwilio(
  credentials: TwilioCredentials,
  fetcher: typeof fetch,
  resource: string,
  form: Record<string, string>,
): Promise<Response> {
  const url = `https://api.twilio.com/2010-04-01/Accounts/${encodeURIComponent(credentials.accountSid)}/${resource}.json`;
  return fetcher(url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${credentials.accountSid}:${credentials.authToken}`)}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
}

/**
 * Production adapter: Twilio's Messages REST API called with fetch. The twilio-node REST client is
 * reported to fail on Workers (twilio-node#1096) and weighs ~565 KB gzip, so it is not used here.
 */
export function twilioSms(config: TwilioConfig, fetcher: typeof fetch): SmsSender {
  return {
    async send(message) {
      const res = await postToTwilio(config, fetcher, 'Messages', {
        To: message.to,
        From: config.from,
        Body: message.body,
        ...(config.statusCallback ? { StatusCallback: config.statusCallback } : {}),
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

const encoder = new TextEncoder();

/**
 * The `X-Twilio-Signature` Twilio computes for a request to `url` with form `params`: HMAC-SHA1, keyed
 * with the account's auth token, of the full URL followed by every parameter's name and value, names
 * in case-sensitive (code unit) order; a name sent more than once contributes each distinct value, in
 * order. Base64. (Twilio's "Secure webhooks" documentation, and twilio-node's `getExpectedTwilioSignature`.)
 */
export async function twilioSignature(authToken: string, url: string, params: URLSearchParams): Promise<string> {
  let data = url;
  for (const name of [...new Set(params.keys())].sort()) {
    for (const value of [...new Set(params.getAll(name))].sort()) data += name + value;
  }
  const key = await crypto.subtle.importKey('raw', encoder.encode(authToken), { name: 'HMAC', hash: 'SHA-1' }, false, [
    'sign',
  ]);
  return toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(data))));
}

/**
 * The spellings of one URL Twilio may have signed: its back end is inconsistent about an explicit
 * default port (https://host/… or https://host:443/…), so, like twilio-node's `validateRequest`, both
 * are accepted.
 */
function signedUrlSpellings(url: string): string[] {
  const u = new URL(url);
  const path = `${u.pathname}${u.search}`;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return [`${u.protocol}//${u.hostname}${path}`, `${u.protocol}//${u.hostname}:${port}${path}`];
}

/**
 * Whether `signature` is Twilio's signature of a request to `url` with form `params`, compared in
 * constant time. `url` is the URL Twilio was given (the configured callback URL, with its query), not
 * necessarily the one a proxy forwarded.
 */
export async function verifyTwilioSignature(
  authToken: string,
  signature: string,
  url: string,
  params: URLSearchParams,
): Promise<boolean> {
  let valid = false;
  for (const spelling of signedUrlSpellings(url)) {
    // Every spelling is computed and compared, so the time taken does not say which one matched.
    if (constantTimeEqual(await twilioSignature(authToken, spelling, params), signature)) valid = true;
  }
  return valid;
}
