import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonResponse } from '../../http/openapi';
import {
  TWILIO_REFUSALS,
  TwilioSignatureHeader,
  twilioValidationHook,
  verifyTwilioWebhook,
} from '../../http/twilio-webhook';
import { ok } from '../../lib/envelope';
import { applySmsStatus } from './sms-status.service';

const tags = ['Webhooks'];

/**
 * The form Twilio posts. Only the fields read are named; Twilio sends more (`SmsSid`, `SmsStatus`,
 * `From`, `ApiVersion`, `RawDlrDoneDate`, …) and may add others, and every one of them is signed, so
 * unknown fields are accepted.
 */
const TwilioStatusForm = z
  .looseObject({
    MessageSid: z.string().min(1).max(64).openapi({ example: 'SM0123456789abcdef0123456789abcdef' }),
    MessageStatus: z.string().min(1).max(32).openapi({
      description:
        '`delivered` sets the delivery `delivered`; `undelivered` and `failed` set it `failed`; any other status changes nothing.',
      example: 'delivered',
    }),
    AccountSid: z.string().min(1).max(64).openapi({ example: 'AC0123456789abcdef0123456789abcdef' }),
    ErrorCode: z
      .string()
      .max(16)
      .optional()
      .openapi({ description: 'With `undelivered` and `failed`', example: '30003' }),
    To: z.string().max(64).optional().openapi({ example: '+14155550123' }),
  })
  .openapi('TwilioMessageStatus', {
    example: {
      MessageSid: 'SM0123456789abcdef0123456789abcdef',
      MessageStatus: 'undelivered',
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      ErrorCode: '30003',
      To: '+14155550123',
    },
  });

const SmsStatusReceiptSchema = z
  .object({
    messageSid: z.string(),
    deliveryStatus: z.enum(['delivered', 'failed']).nullable().openapi({
      description:
        'What the callback set the SMS delivery to; null when it changed nothing (a status before an outcome, a replay, a late callback, a message Kinwell does not know)',
    }),
  })
  .openapi('SmsStatusReceipt', {
    example: { messageSid: 'SM0123456789abcdef0123456789abcdef', deliveryStatus: 'delivered' },
  });

const smsStatusRoute = defineRoute({
  method: 'post',
  path: '/webhooks/twilio/sms-status',
  operationId: 'webhooks.twilio.smsStatus',
  tags,
  summary: "Twilio's message status callback: an SMS was delivered, or could not be",
  description:
    'Twilio posts here as each SMS changes status (`StatusCallback`, set on every message when `PUBLIC_URL` is configured). The request must carry a valid `X-Twilio-Signature` for this URL as Twilio called it (`PUBLIC_URL` + this path) and the account of `TWILIO_ACCOUNT_SID`; the signature is checked before anything else. A delivery only moves forward from `sent`; a callback that changes nothing is still answered 200, so Twilio has nothing to retry.',
  request: {
    headers: TwilioSignatureHeader,
    body: {
      required: true,
      content: { 'application/x-www-form-urlencoded': { schema: TwilioStatusForm } },
    },
  },
  bodyLimit: 64 * 1024,
  responses: {
    200: jsonResponse(SmsStatusReceiptSchema, 'Received'),
    401: errorOf(TWILIO_REFUSALS[401]),
    403: errorOf(TWILIO_REFUSALS[403]),
    503: errorOf(TWILIO_REFUSALS[503]),
  },
});

export const smsStatusRouter = createRouter().openapi(
  smsStatusRoute,
  async (c) => {
    await verifyTwilioWebhook(c);
    return c.json(ok(await applySmsStatus(c.get('ctx'), c.req.valid('form')), 'Status received'), 200);
  },
  twilioValidationHook,
);
