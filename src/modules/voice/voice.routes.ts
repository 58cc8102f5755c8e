import type { Context } from 'hono';
import { type AppEnv, createRouter, originOf } from '../../http/hono';
import { defineRoute, errorOf, jsonResponse, pageOf } from '../../http/openapi';
import {
  TWILIO_REFUSALS,
  TwilioSignatureHeader,
  twilioValidationHook,
  verifyTwilioWebhook,
} from '../../http/twilio-webhook';
import { ok } from '../../lib/envelope';
import { AppointmentIdParam } from '../appointments/appointments.schemas';
import {
  BridgeQuery,
  CallQuery,
  CallStatusReceiptSchema,
  MaskedCallSchema,
  PhoneCallListQuery,
  PhoneCallSchema,
  TwilioCallStatusForm,
  TwilioVoiceForm,
  TwimlText,
} from './voice.schemas';
import {
  answerIncomingCall,
  bridgeMaskedCall,
  listPhoneCalls,
  recordCallStatus,
  startMaskedCall,
} from './voice.service';

const WEBHOOK_BODY_LIMIT = 64 * 1024;

const refusals = {
  401: errorOf(TWILIO_REFUSALS[401]),
  403: errorOf(TWILIO_REFUSALS[403]),
  503: errorOf(TWILIO_REFUSALS[503]),
};

const twiml = (description: string) => ({ description, content: { 'text/xml': { schema: TwimlText } } });

const formBody = <T>(schema: T) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema } },
});

const incomingRoute = defineRoute({
  method: 'post',
  path: '/webhooks/twilio/voice',
  operationId: 'webhooks.twilio.voice',
  tags: ['Webhooks'],
  summary: "A call to the clinic's number: TwiML forwarding it to the on-duty staff, or the after-hours message",
  description:
    'Set as the Twilio number\'s "A call comes in" webhook (POST). Signed like every Twilio request (`X-Twilio-Signature` for `PUBLIC_URL` + this path, account `TWILIO_ACCOUNT_SID`), checked before anything else. During `voice.hours` with `voice.onDutyNumber` set, the answer `<Dial>`s that number (its leg\'s status changes go to the voice status route) and plays `voice.afterHoursMessage` if nobody answers; otherwise it plays the message and hangs up. The call is recorded as ringing.',
  request: { headers: TwilioSignatureHeader, body: formBody(TwilioVoiceForm) },
  bodyLimit: WEBHOOK_BODY_LIMIT,
  responses: { 200: twiml('TwiML for Twilio'), ...refusals },
});

const statusRoute = defineRoute({
  method: 'post',
  path: '/webhooks/twilio/voice-status',
  operationId: 'webhooks.twilio.voiceStatus',
  tags: ['Webhooks'],
  summary: "Twilio's call status callback: a call rang, was answered, ended",
  description:
    'Set as the number\'s "Call status changes" callback; Kinwell also gives it for the legs it dials and the masked calls it places (`?call=` names the masked call). One row per CallSid: a replayed or late callback changes nothing, a final status never changes. Signed like every Twilio request.',
  request: { headers: TwilioSignatureHeader, query: CallQuery, body: formBody(TwilioCallStatusForm) },
  bodyLimit: WEBHOOK_BODY_LIMIT,
  responses: {
    200: jsonResponse(CallStatusReceiptSchema, 'Recorded'),
    ...refusals,
    422: errorOf('A signed callback Kinwell cannot read (VALIDATION_FAILED), e.g. an unknown `CallStatus`'),
  },
});

const bridgeRoute = defineRoute({
  method: 'post',
  path: '/webhooks/twilio/voice-bridge',
  operationId: 'webhooks.twilio.voiceBridge',
  tags: ['Webhooks'],
  summary: 'A masked call answered by the doctor: TwiML dialling the patient from the clinic number',
  description:
    "The URL Kinwell gives Twilio with a masked call (`?call=` its id). Signed. The answer `<Dial>`s the patient's mobile number with the clinic number as `callerId`, so neither side sees the other's number; a call that is over, or whose appointment was cancelled, is told so and hung up.",
  request: { headers: TwilioSignatureHeader, query: BridgeQuery, body: formBody(TwilioVoiceForm) },
  bodyLimit: WEBHOOK_BODY_LIMIT,
  responses: { 200: twiml('TwiML for Twilio'), ...refusals },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/admin/phone-calls',
  operationId: 'admin.phoneCalls.list',
  tags: ['Phone calls'],
  summary: "Calls through the clinic's Twilio number, newest first",
  description:
    'Incoming calls, the legs forwarded to on-duty staff and masked doctor–patient calls, as Twilio reported them: numbers, status, duration, start and end. Filter by `status` and by when the call was recorded (`from` inclusive, `to` exclusive).',
  request: { query: PhoneCallListQuery },
  responses: { 200: jsonResponse(pageOf(PhoneCallSchema), 'A page of calls') },
});

const maskedCallRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/phone-call',
  operationId: 'appointments.phoneCall',
  tags: ['Phone calls'],
  summary: 'Call the patient of an appointment without either side seeing the other’s number',
  description:
    'Only the appointment’s doctor. Twilio rings the doctor’s mobile number (their profile) from the clinic number and, when answered, dials the patient with the clinic number as caller id. In development without Twilio, the call Twilio would place is written to the outbox. Audited.',
  request: { params: AppointmentIdParam },
  responses: {
    202: jsonResponse(MaskedCallSchema, 'Twilio is ringing the doctor'),
    404: errorOf('No such appointment, or not the caller’s (NOT_FOUND)'),
    409: errorOf(
      'The appointment is cancelled or rejected (INVALID_TRANSITION), or the doctor or the patient has no mobile number (CONFLICT, `details.missing`)',
    ),
    503: errorOf('Phone calls are not configured, or Twilio refused the call (SERVICE_UNAVAILABLE)'),
  },
});

/** A TwiML answer. */
const twimlOf = (c: Context<AppEnv>, xml: string) =>
  c.body(xml, 200, { 'content-type': 'text/xml; charset=utf-8', 'cache-control': 'no-store' });

export const voiceRouter = createRouter()
  .openapi(
    incomingRoute,
    async (c) => {
      await verifyTwilioWebhook(c);
      return twimlOf(c, await answerIncomingCall(c.get('ctx'), c.req.valid('form'), originOf(c)));
    },
    twilioValidationHook,
  )
  .openapi(
    statusRoute,
    async (c) => {
      await verifyTwilioWebhook(c);
      const receipt = await recordCallStatus(c.get('ctx'), c.req.valid('form'), c.req.valid('query').call);
      return c.json(ok(receipt, 'Status received'), 200);
    },
    twilioValidationHook,
  )
  .openapi(
    bridgeRoute,
    async (c) => {
      await verifyTwilioWebhook(c);
      return twimlOf(c, await bridgeMaskedCall(c.get('ctx'), c.req.valid('query').call, c.req.valid('form')));
    },
    twilioValidationHook,
  )
  .openapi(listRoute, async (c) => c.json(ok(await listPhoneCalls(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(maskedCallRoute, async (c) => {
    const call = await startMaskedCall(c.get('ctx'), c.req.valid('param').id, originOf(c));
    return c.json(ok(call, 'Calling'), 202);
  });
