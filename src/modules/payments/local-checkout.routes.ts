import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf } from '../../http/openapi';
import {
  cancelLocalCheckout,
  careCheckoutReturnPage,
  checkoutReturnPage,
  expireLocalCheckout,
  localCheckoutCsp,
  localCheckoutPage,
  payLocalCheckout,
} from './local-checkout.service';

const tags = ['Development'];
const notFound = errorOf('In production or with a Stripe key set, or no such local checkout session (NOT_FOUND)');
const unconfigured = errorOf('STRIPE_WEBHOOK_SECRET is not set (SERVICE_UNAVAILABLE)');

const SessionParam = z.object({
  sessionId: z
    .string()
    .regex(/^cs_[A-Za-z0-9_]{1,250}$/, 'Not a checkout session id')
    .openapi({ param: { name: 'sessionId', in: 'path' }, example: 'cs_local_checkoutapt01JD3Y5N6Q9W2X8Z4B7C1V0M5K1' }),
});

const htmlPage = (description: string) => ({
  description,
  content: { 'text/html': { schema: z.string().openapi({ example: '<!doctype html><html>…</html>' }) } },
});

const redirect = (description: string) => ({
  description,
  headers: {
    Location: {
      description: 'Where the browser goes next',
      schema: { type: 'string' as const, example: '/api/v1/dev/checkout/return?appointmentId=apt_…&checkout=success' },
    },
  },
});

const returnRoute = defineRoute({
  method: 'get',
  path: '/dev/checkout/return',
  operationId: 'dev.checkout.return',
  tags,
  summary: 'Where the local checkout returns to: the payment as stored (404 in production)',
  description:
    'The success and cancel URL of checkouts when `CHECKOUT_RETURN_URL` is not set. Shows the payment status of the appointment (`appointmentId`) or the care session (`careSessionId`) as the webhook left it, and a link back to its checkout while that is still payable.',
  request: {
    query: z
      .object({
        appointmentId: z.string().min(1).max(64).optional().openapi({ example: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K' }),
        careSessionId: z.string().min(1).max(64).optional().openapi({ example: 'cse_01JD3Y5N6Q9W2X8Z4B7C1V0M5K' }),
        checkout: z.enum(['success', 'cancelled']).optional(),
      })
      .refine((q) => (q.appointmentId === undefined) !== (q.careSessionId === undefined), {
        message: 'Give appointmentId or careSessionId',
        path: ['appointmentId'],
      }),
  },
  responses: {
    200: htmlPage('The result page'),
    404: errorOf('In production or with a Stripe key set, or no such appointment (NOT_FOUND)'),
  },
});

const pageRoute = defineRoute({
  method: 'get',
  path: '/dev/checkout/{sessionId}',
  operationId: 'dev.checkout.view',
  tags,
  summary: 'The local checkout page of a session (development without a Stripe key; 404 in production)',
  description:
    'What `checkout.url` points at when payments run on the local provider: the fee, the patient, the expiry, and Pay / Cancel / "Let it expire now" buttons (plain forms). A paid or expired session shows its state. No script; inline styles only.',
  request: { params: SessionParam },
  responses: { 200: htmlPage('The checkout page'), 404: notFound },
});

const payRoute = defineRoute({
  method: 'post',
  path: '/dev/checkout/{sessionId}/pay',
  operationId: 'dev.checkout.pay',
  tags,
  summary: 'Pay a local checkout session: a signed webhook event to this API (404 in production)',
  description:
    'Builds the `checkout.session.completed` event Stripe would send (payment_status `paid`, payment intent `pi_local_…`, the payment’s metadata), signs it with `STRIPE_WEBHOOK_SECRET` as Stripe does, and applies it through the Stripe webhook’s own handling (signature checked, event recorded once). Then 303 to the success URL. A paid session is not paid again; an expired one redirects back to its page.',
  request: { params: SessionParam },
  responses: {
    303: redirect('To the success URL (or back to the page when the session can no longer be paid)'),
    404: notFound,
    503: unconfigured,
  },
});

const cancelRoute = defineRoute({
  method: 'post',
  path: '/dev/checkout/{sessionId}/cancel',
  operationId: 'dev.checkout.cancel',
  tags,
  summary: 'Leave a local checkout without paying (404 in production)',
  description: 'Redirects to the cancel URL. Nothing changes: the session stays open until it expires, as on Stripe.',
  request: { params: SessionParam },
  responses: { 303: redirect('To the cancel URL'), 404: notFound },
});

const expireRoute = defineRoute({
  method: 'post',
  path: '/dev/checkout/{sessionId}/expire',
  operationId: 'dev.checkout.expire',
  tags,
  summary: 'Let a local checkout session expire now: a signed `checkout.session.expired` (404 in production)',
  description:
    'Sends the `checkout.session.expired` event Stripe would send at the session’s expiry, signed, through the webhook’s handling: a pay-at-booking appointment is released. Then 303 back to the page.',
  request: { params: SessionParam },
  responses: { 303: redirect('Back to the checkout page'), 404: notFound, 503: unconfigured },
});

/** The local checkout page's routes; they answer 404 unless payments run on the local provider. */
export const localCheckoutRouter = createRouter()
  // Before `/{sessionId}`, which would take "return" for a session id.
  .openapi(returnRoute, async (c) => {
    const { appointmentId, careSessionId, checkout } = c.req.valid('query');
    const ctx = c.get('ctx');
    const html = careSessionId
      ? await careCheckoutReturnPage(ctx, careSessionId, checkout)
      : await checkoutReturnPage(ctx, appointmentId!, checkout);
    c.header('Content-Security-Policy', localCheckoutCsp(ctx.env));
    return c.html(html, 200);
  })
  .openapi(pageRoute, async (c) => {
    const ctx = c.get('ctx');
    const html = await localCheckoutPage(ctx, c.req.valid('param').sessionId);
    c.header('Content-Security-Policy', localCheckoutCsp(ctx.env));
    return c.html(html, 200);
  })
  .openapi(payRoute, async (c) => c.redirect(await payLocalCheckout(c.get('ctx'), c.req.valid('param').sessionId), 303))
  .openapi(cancelRoute, async (c) =>
    c.redirect(await cancelLocalCheckout(c.get('ctx'), c.req.valid('param').sessionId), 303),
  )
  .openapi(expireRoute, async (c) =>
    c.redirect(await expireLocalCheckout(c.get('ctx'), c.req.valid('param').sessionId), 303),
  );
