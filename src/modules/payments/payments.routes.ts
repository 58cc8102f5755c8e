import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { type AppEnv, createRouter, fieldErrors } from '../../http/hono';
import { defineRoute, errorOf, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { AppError } from '../../lib/errors';
import { AppointmentIdParam } from '../appointments/appointments.schemas';
import { startCheckout } from './checkout.service';
import { appointmentPayment } from './payment-access';
import { PaymentViewSchema } from './payments.schemas';
import { applyProviderEvent } from './webhook.service';

const tags = ['Payments'];
const notFound = errorOf('No such appointment, or not yours (NOT_FOUND)');

const checkoutRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/checkout',
  operationId: 'payments.checkout',
  tags,
  summary: 'Pay an appointment’s fee: a checkout page for it',
  description:
    'For the appointment’s patient (or front-desk staff on their behalf). Answers the payment with `checkout.url`, the hosted payment page (Stripe Checkout; in development without a Stripe key, the local checkout page). An open session with time left is answered again (200) rather than replaced; otherwise a new one is created (201). The amount and currency are the price booked. A pay-at-booking session expires at the appointment’s payment deadline (at least 30 minutes ahead); a pay-later one in 23 hours. The payment is confirmed by the provider’s webhook, not by the return to the app.',
  request: { params: AppointmentIdParam },
  responses: {
    200: jsonResponse(PaymentViewSchema, 'The open checkout, answered again'),
    201: jsonResponse(PaymentViewSchema, 'A new checkout session'),
    402: errorOf('The payment provider refused the request (PAYMENT_FAILED)'),
    404: notFound,
    409: errorOf('Free, already paid or being settled, or the appointment is closed (CONFLICT)'),
    503: errorOf('Payments are not configured, or the provider cannot be reached (SERVICE_UNAVAILABLE)'),
  },
});

const appointmentPaymentRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/payment',
  operationId: 'payments.ofAppointment',
  tags,
  summary: 'The payment of an appointment, with its refunds',
  description:
    'For the appointment’s patient and doctor and payment staff (admins). 404 when the appointment is not the caller’s or nothing was paid or started yet.',
  request: { params: AppointmentIdParam },
  responses: {
    200: jsonResponse(PaymentViewSchema, 'The payment'),
    404: errorOf('No payment, or not yours (NOT_FOUND)'),
  },
});

const StripeEvent = z
  .looseObject({
    id: z.string().min(1).max(255),
    type: z.string().min(1).max(255),
    data: z.looseObject({ object: z.looseObject({}) }),
  })
  .openapi('StripeWebhookEvent', {
    example: {
      id: 'evt_1QbCdEfGhIjKlMnO',
      object: 'event',
      type: 'checkout.session.completed',
      created: 1764580200,
      data: {
        object: {
          id: 'cs_test_a1b2c3',
          object: 'checkout.session',
          payment_status: 'paid',
          payment_intent: 'pi_3QbCdEfGhIjKlMnO',
          client_reference_id: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K',
          metadata: { paymentId: 'pay_01JD3Y5N6Q9W2X8Z4B7C1V0M5K', subjectType: 'appointment' },
        },
      },
    },
  });

const WebhookReceiptSchema = z
  .object({
    eventId: z.string(),
    type: z.string(),
    outcome: z
      .enum(['paid', 'processing', 'failed', 'expired', 'refunded', 'duplicate', 'stale', 'unmatched', 'ignored'])
      .openapi({
        description:
          '`duplicate`: this event id was applied before (nothing changed). `stale`: an event the payment has moved past (an older session, a payment already paid). `unmatched`: not a payment of Kinwell’s. `ignored`: a type Kinwell does not act on.',
      }),
    paymentId: z.string().nullable(),
  })
  .openapi('PaymentWebhookReceipt', {
    example: {
      eventId: 'evt_1QbCdEfGhIjKlMnO',
      type: 'checkout.session.completed',
      outcome: 'paid',
      paymentId: 'pay_01JD3Y5N6Q9W2X8Z4B7C1V0M5K',
    },
  });

const webhookRoute = defineRoute({
  method: 'post',
  path: '/webhooks/stripe',
  operationId: 'webhooks.stripe',
  tags: ['Webhooks'],
  summary: 'Stripe’s webhook: payments completed, failed, expired and refunded',
  description:
    'Configure in the Stripe dashboard (or `stripe listen --forward-to`) with the events `checkout.session.completed`, `checkout.session.async_payment_succeeded`, `checkout.session.async_payment_failed`, `checkout.session.expired` and `charge.refunded`; its signing secret is `STRIPE_WEBHOOK_SECRET`. The `Stripe-Signature` header is checked against the raw body before anything else and may be at most 5 minutes old; a missing, forged or stale signature answers 401 and writes nothing. Each event id is applied once: a replay or Stripe’s retry answers 200 with `outcome: duplicate`. Events may arrive in any order.',
  request: {
    headers: z.object({
      'stripe-signature': z.string().optional().openapi({
        description: '`t=<unix seconds>,v1=<HMAC-SHA256 of "t.body" under the webhook secret>`. Required.',
        example: 't=1764580200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
      }),
    }),
    body: { required: true, content: { 'application/json': { schema: StripeEvent } } },
  },
  bodyLimit: 512 * 1024,
  responses: {
    200: jsonResponse(WebhookReceiptSchema, 'Received'),
    401: errorOf('No `Stripe-Signature` (UNAUTHENTICATED), or one that is forged or too old (TOKEN_INVALID)'),
    503: errorOf(
      'The webhook secret is not configured, or the provider could not be asked for the payment’s details (SERVICE_UNAVAILABLE; Stripe retries)',
    ),
  },
});

/** Answers a delivery that failed validation: 401 unless it is Stripe's (signed), then 422. */
async function refuseInvalid(c: Context<AppEnv>, error: ZodError, target: string): Promise<never> {
  const ctx = c.get('ctx');
  await ctx.ports.payments.verifyEvent(await c.req.text(), c.req.header('stripe-signature'), ctx.clock.now().getTime());
  throw new AppError('VALIDATION_FAILED', 'Validation failed', { fields: fieldErrors(error, target) });
}

export const paymentsRouter = createRouter()
  .openapi(checkoutRoute, async (c) => {
    const { payment, created } = await startCheckout(c.get('ctx'), c.req.valid('param').id);
    return created ? c.json(ok(payment, 'Checkout started'), 201) : c.json(ok(payment, 'Checkout already open'), 200);
  })
  .openapi(appointmentPaymentRoute, async (c) =>
    c.json(ok(await appointmentPayment(c.get('ctx'), c.req.valid('param').id), 'Payment'), 200),
  )
  .openapi(
    webhookRoute,
    async (c) => {
      const receipt = await applyProviderEvent(c.get('ctx'), await c.req.text(), c.req.header('stripe-signature'));
      return c.json(ok(receipt, 'Event received'), 200);
    },
    // A delivery that fails validation is authenticated first: a forged one learns nothing from it.
    (result, c) => (result.success ? undefined : refuseInvalid(c, result.error, result.target)),
  );
