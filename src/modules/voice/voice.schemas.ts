import { z } from '@hono/zod-openapi';
import { PHONE_CALL_DIRECTIONS, PHONE_CALL_STATUSES } from '../../db/schema';
import { PageQuery } from '../../http/openapi';

const CALL_SID = z.string().min(1).max(64).openapi({ example: 'CA0123456789abcdef0123456789abcdef' });
const ACCOUNT_SID = z.string().min(1).max(64).openapi({ example: 'AC0123456789abcdef0123456789abcdef' });
const NUMBER = z.string().max(64);

/**
 * What Twilio posts when a call reaches the clinic's number, or asks what to do with a call it placed.
 * Only the fields read are named; Twilio sends more (`CallerCity`, `ApiVersion`, …), every one signed,
 * so unknown fields are accepted.
 */
export const TwilioVoiceForm = z
  .looseObject({
    CallSid: CALL_SID,
    AccountSid: ACCOUNT_SID,
    From: NUMBER.optional().openapi({ example: '+14155550123' }),
    To: NUMBER.optional().openapi({ example: '+14155550100' }),
    CallStatus: z.string().max(32).optional().openapi({ example: 'ringing' }),
  })
  .openapi('TwilioVoiceRequest', {
    example: {
      CallSid: 'CA0123456789abcdef0123456789abcdef',
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      From: '+14155550123',
      To: '+14155550100',
      CallStatus: 'ringing',
    },
  });
export type TwilioVoiceInput = z.infer<typeof TwilioVoiceForm>;

/** Twilio's `CallStatus` values: `initiated` is recorded as `queued` (both mean not ringing yet). */
export const TWILIO_CALL_STATUSES = ['initiated', ...PHONE_CALL_STATUSES] as const;

/** A call status callback. */
export const TwilioCallStatusForm = z
  .looseObject({
    CallSid: CALL_SID,
    AccountSid: ACCOUNT_SID,
    CallStatus: z.enum(TWILIO_CALL_STATUSES).openapi({ example: 'completed' }),
    Direction: z
      .string()
      .max(32)
      .optional()
      .openapi({ description: '`inbound`, `outbound-api` or `outbound-dial`', example: 'inbound' }),
    From: NUMBER.optional().openapi({ example: '+14155550123' }),
    To: NUMBER.optional().openapi({ example: '+14155550100' }),
    CallDuration: z
      .string()
      .regex(/^\d{1,7}$/, 'Must be whole seconds')
      .optional()
      .openapi({ description: 'Seconds, once the call ended', example: '42' }),
  })
  .openapi('TwilioCallStatus', {
    example: {
      CallSid: 'CA0123456789abcdef0123456789abcdef',
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      CallStatus: 'completed',
      Direction: 'inbound',
      From: '+14155550123',
      To: '+14155550100',
      CallDuration: '42',
    },
  });
export type TwilioCallStatusInput = z.infer<typeof TwilioCallStatusForm>;

const PhoneCallId = z
  .string()
  .regex(/^pcl_[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a phone call id')
  .openapi({ example: 'pcl_01JF8ZS5X0V6M3A2Q9K1T7B4CE' });

/** `?call=`: the masked call a Twilio request is about (set in the URLs given to Twilio). */
export const CallQuery = z.object({ call: PhoneCallId.optional() });
export const BridgeQuery = z.object({ call: PhoneCallId });

export const TwimlText = z.string().openapi({
  description: 'TwiML (text/xml)',
  example:
    '<?xml version="1.0" encoding="UTF-8"?><Response><Dial timeout="30"><Number statusCallback="https://api.kinwell.health/api/v1/webhooks/twilio/voice-status" statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST">+14155550199</Number></Dial></Response>',
});

export const CallStatusReceiptSchema = z
  .object({
    callSid: z.string(),
    status: z.enum(PHONE_CALL_STATUSES).openapi({ description: 'The status recorded (a final one never changes)' }),
  })
  .openapi('CallStatusReceipt', { example: { callSid: 'CA0123456789abcdef0123456789abcdef', status: 'completed' } });

export const PhoneCallSchema = z
  .object({
    id: z.string(),
    callSid: z.string().nullable(),
    direction: z.enum(PHONE_CALL_DIRECTIONS),
    from: z.string().nullable(),
    to: z.string().nullable(),
    status: z.enum(PHONE_CALL_STATUSES),
    durationSeconds: z.number().int().nullable(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    appointmentId: z.string().nullable(),
    doctorId: z.string().nullable(),
    patientId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('PhoneCall', {
    example: {
      id: 'pcl_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      callSid: 'CA0123456789abcdef0123456789abcdef',
      direction: 'inbound',
      from: '+14155550123',
      to: '+14155550100',
      status: 'completed',
      durationSeconds: 42,
      startedAt: '2026-11-21T08:00:00.000Z',
      endedAt: '2026-11-21T08:00:42.000Z',
      appointmentId: null,
      doctorId: null,
      patientId: null,
      createdAt: '2026-11-21T07:59:55.000Z',
      updatedAt: '2026-11-21T08:00:42.000Z',
    },
  });
export type PhoneCallView = z.infer<typeof PhoneCallSchema>;

export const PhoneCallListQuery = PageQuery.extend({
  status: z.enum(PHONE_CALL_STATUSES).optional(),
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Calls recorded at or after this instant', example: '2026-11-01T00:00:00Z' }),
  to: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Calls recorded before this instant', example: '2026-12-01T00:00:00Z' }),
});

export const MaskedCallSchema = z
  .object({
    id: z.string(),
    appointmentId: z.string(),
    status: z.enum(PHONE_CALL_STATUSES),
    createdAt: z.string(),
  })
  .openapi('MaskedCall', {
    example: {
      id: 'pcl_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      appointmentId: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K',
      status: 'queued',
      createdAt: '2026-11-21T08:00:00.000Z',
    },
  });
export type MaskedCallView = z.infer<typeof MaskedCallSchema>;
