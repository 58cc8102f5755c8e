import type { ServiceContext } from '../../context';
import { AppError } from '../../lib/errors';
import { verifyTwilioSignature } from '../../platform/sms';
import { type ProviderReport, providerReportStatement } from './ledger';

/**
 * Twilio's message status callbacks: the SMS provider reporting what became of a message it accepted.
 * They move an SMS delivery from `sent` to `delivered` or `failed`, never back (ledger.ts).
 */

/** A status callback as it arrived: the URL it was posted to, its signature header and its form. */
export interface TwilioCallbackRequest {
  url: string;
  signature: string | undefined;
  params: URLSearchParams;
}

/**
 * The URL Twilio signed: the status callback URL it was given, which is `PUBLIC_URL` plus the path
 * (twilioSms builds it so). Behind a proxy the Worker may see another host; without `PUBLIC_URL` the
 * request's own URL is all there is.
 */
function signedUrl(publicUrl: string | undefined, requestUrl: string): string {
  const origin = publicUrl?.trim().replace(/\/+$/, '');
  if (!origin) return requestUrl;
  const { pathname, search } = new URL(requestUrl);
  return `${origin}${pathname}${search}`;
}

/**
 * Proves a callback is Twilio's, for this account: `X-Twilio-Signature` must be the HMAC-SHA1 of the
 * URL and every form parameter under `TWILIO_AUTH_TOKEN`, and `AccountSid` must be
 * `TWILIO_ACCOUNT_SID`. Touches no storage.
 * @throws AppError SERVICE_UNAVAILABLE (Twilio not configured here), UNAUTHENTICATED (no signature),
 *   TOKEN_INVALID (a signature that does not match), FORBIDDEN (signed, but for another account)
 */
export async function authenticateTwilioCallback(ctx: ServiceContext, request: TwilioCallbackRequest): Promise<void> {
  const { TWILIO_AUTH_TOKEN: authToken, TWILIO_ACCOUNT_SID: accountSid } = ctx.env;
  if (!authToken || !accountSid) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Twilio is not configured', {
      details: { missing: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN' },
    });
  }
  if (!request.signature) throw new AppError('UNAUTHENTICATED', 'X-Twilio-Signature is missing');
  const url = signedUrl(ctx.env.PUBLIC_URL, request.url);
  if (!(await verifyTwilioSignature(authToken, request.signature, url, request.params))) {
    throw new AppError('TOKEN_INVALID', 'X-Twilio-Signature does not match this request');
  }
  if (request.params.get('AccountSid') !== accountSid) {
    throw new AppError('FORBIDDEN', 'This callback is for another Twilio account');
  }
}

export interface SmsStatusInput {
  MessageSid: string;
  MessageStatus: string;
  ErrorCode?: string;
}

export interface SmsStatusReceipt {
  messageSid: string;
  /** What this callback set the delivery to; null when it changed nothing. */
  deliveryStatus: ProviderReport['status'] | null;
}

/**
 * What a Twilio message status means for its delivery: `delivered` is delivered; `undelivered` and
 * `failed` are failed, with Twilio's error code; the others (`queued`, `sending`, `sent`, …) are steps
 * before an outcome and change nothing.
 */
export function reportOf(input: SmsStatusInput): ProviderReport | null {
  if (input.MessageStatus === 'delivered') return { status: 'delivered' };
  if (input.MessageStatus === 'undelivered' || input.MessageStatus === 'failed') {
    return { status: 'failed', error: `twilio:${input.ErrorCode || input.MessageStatus}` };
  }
  return null;
}

/**
 * Applies an authenticated status callback to the SMS delivery of its message, in one conditional
 * statement (one D1 round trip; none for a status that changes nothing). A callback for a message no
 * delivery holds, a replay, or one arriving after the outcome is known changes nothing and is
 * answered as received: Twilio cannot do better by sending it again.
 */
export async function applySmsStatus(ctx: ServiceContext, input: SmsStatusInput): Promise<SmsStatusReceipt> {
  const report = reportOf(input);
  const changed = report
    ? await providerReportStatement(ctx, 'sms', input.MessageSid, report, ctx.clock.now().getTime())
    : [];
  const deliveryStatus = report && changed.length > 0 ? report.status : null;
  ctx.log.log('info', 'twilio.status', {
    messageSid: input.MessageSid,
    messageStatus: input.MessageStatus,
    errorCode: input.ErrorCode ?? null,
    deliveryStatus,
  });
  return { messageSid: input.MessageSid, deliveryStatus };
}
