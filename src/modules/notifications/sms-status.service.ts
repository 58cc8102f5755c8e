import type { ServiceContext } from '../../context';
import { type ProviderReport, providerReportStatement } from './ledger';

/**
 * Twilio's message status callbacks: the SMS provider reporting what became of a message it accepted.
 * They move an SMS delivery from `sent` to `delivered` or `failed`, never back (ledger.ts).
 */

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
