import { and, eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { appointments, doctorServices, type PaymentRow, payments, users } from '../../db/schema';
import { environmentOf } from '../../env';
import { AppError, notFound } from '../../lib/errors';
import { escapeHtml } from '../../lib/html';
import { formatMoney } from '../../lib/money';
import { LOCAL_CHECKOUT_PATH, signStripePayload } from '../../platform/payments';
import { returnUrls } from './checkout.service';
import { applyProviderEvent, type WebhookReceipt } from './webhook.service';

/**
 * The local checkout page: what Stripe Checkout is for a developer without a Stripe account. Its
 * sessions (`cs_local_…`, made by the local provider) are paid or let expire by building the event
 * Stripe would send, signing it with STRIPE_WEBHOOK_SECRET exactly as Stripe does, and handing it to
 * the webhook's own `applyProviderEvent`: the signature check, the once-only event ledger and every
 * effect run as for a real delivery. Never in production, never while a Stripe key is set.
 */

const PAGE_PATH = `/api/v1${LOCAL_CHECKOUT_PATH}`;

/**
 * The policy of the local pages: their inline styles only, no script, forms posting to this origin
 * (and the return page's, which a payment redirects to), not framed.
 */
export function localCheckoutCsp(env: ServiceContext['env']): string {
  const origins = new Set(["'self'"]);
  const { successUrl } = returnUrls(env, 'apt_');
  origins.add(new URL(successUrl).origin);
  return `default-src 'none'; style-src 'unsafe-inline'; form-action ${[...origins].join(' ')}; base-uri 'none'; frame-ancestors 'none'`;
}

/** 404 unless payments run on the local provider outside production (as the dev outbox hides itself). */
function ensureLocal(ctx: ServiceContext): void {
  if (environmentOf(ctx.env) === 'production' || ctx.ports.payments.name !== 'local') throw notFound('Route');
}

const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** The payment a local session belongs to (its current session), with the payer's name. */
async function localSession(ctx: ServiceContext, sessionId: string): Promise<{ payment: PaymentRow; payer: string }> {
  ensureLocal(ctx);
  const row = await ctx.db
    .select({ payment: payments, payer: users.name })
    .from(payments)
    .leftJoin(users, eq(users.id, payments.payerId))
    .where(eq(payments.checkoutSessionId, sessionId))
    .get();
  if (row?.payment.provider !== 'local') throw notFound('Checkout session');
  return { payment: row.payment, payer: row.payer ?? 'Unknown patient' };
}

/** Whether the session can still be paid at `now`: open, and before its expiry (Stripe refuses after). */
const payable = (payment: PaymentRow, now: number) => payment.status === 'open' && payment.expiresAt > now;

/**
 * Builds a Stripe-shaped event of `type` about the payment's session, signs it at the context clock's
 * time and applies it through the webhook service (signature verified there).
 * @throws AppError SERVICE_UNAVAILABLE (STRIPE_WEBHOOK_SECRET not set)
 */
async function deliver(
  ctx: ServiceContext,
  type: 'checkout.session.completed' | 'checkout.session.expired',
  payment: PaymentRow,
): Promise<WebhookReceipt> {
  const secret = ctx.env.STRIPE_WEBHOOK_SECRET;
  if (!secret) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Payments are not configured', {
      details: { missing: 'STRIPE_WEBHOOK_SECRET' },
    });
  }
  const nowSeconds = Math.floor(ctx.clock.now().getTime() / 1000);
  const paid = type === 'checkout.session.completed';
  const sessionId = payment.checkoutSessionId;
  const payload = JSON.stringify({
    id: ctx.ids.id('evt_local'),
    object: 'event',
    created: nowSeconds,
    livemode: false,
    type,
    data: {
      object: {
        id: sessionId,
        object: 'checkout.session',
        mode: 'payment',
        status: paid ? 'complete' : 'expired',
        payment_status: paid ? 'paid' : 'unpaid',
        amount_total: payment.amountCents,
        currency: payment.currency.toLowerCase(),
        // The local provider reads the charge (Visa •••• 4242) off this id's suffix.
        payment_intent: paid ? `pi_local_${sessionId.replace(/^cs_local_/, '')}` : null,
        client_reference_id: payment.subjectId,
        metadata: { paymentId: payment.id, subjectType: payment.subjectType, subjectId: payment.subjectId },
        expires_at: Math.floor(payment.expiresAt / 1000),
      },
    },
  });
  const signature = await signStripePayload(secret, payload, nowSeconds);
  const receipt = await applyProviderEvent(ctx, payload, signature);
  ctx.log.log('info', 'payments.local_checkout', { sessionId, type, outcome: receipt.outcome });
  return receipt;
}

/** A phone-sized page with inline styles only (see `localCheckoutCsp`). `body` is trusted markup. */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:0;background:#f3f6f8;color:#1f2937}
main{max-width:440px;margin:0 auto;padding:24px 16px}
.card{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.tag{display:inline-block;font-size:12px;color:#92400e;background:#fef3c7;border-radius:6px;padding:2px 8px}
h1{font-size:20px;margin:12px 0 4px}.amount{font-size:32px;font-weight:700;margin:8px 0 16px}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px;margin:0 0 20px}dt{color:#64748b}dd{margin:0}
button,.button{display:block;width:100%;box-sizing:border-box;font:inherit;font-size:17px;padding:14px;border-radius:10px;border:0;margin-top:10px;text-align:center;text-decoration:none;cursor:pointer}
.pay{background:#4f46e5;color:#fff}.cancel{background:#e5e7eb;color:#1f2937}.quiet{background:none;color:#64748b;font-size:14px}
.state{font-size:18px;font-weight:600}.ok{color:#047857}.warn{color:#b45309}.bad{color:#b91c1c}
</style></head>
<body><main><div class="card"><span class="tag">Local checkout · development only, no money moves</span>
${body}
</div></main></body>
</html>
`;
}

const STATE_TEXT: Record<PaymentRow['status'], [string, string]> = {
  open: ['Awaiting payment', 'warn'],
  processing: ['Payment processing', 'warn'],
  paid: ['Paid', 'ok'],
  failed: ['Payment failed', 'bad'],
  expired: ['This checkout expired', 'bad'],
};

/**
 * The checkout page of a local session: what is paid, by whom, until when, and (while payable) Pay,
 * Cancel and "Let it expire now"; a session paid or expired shows its state instead.
 * @throws AppError NOT_FOUND (production, a Stripe key set, or no such local session)
 */
export async function localCheckoutPage(ctx: ServiceContext, sessionId: string): Promise<string> {
  const { payment, payer } = await localSession(ctx, sessionId);
  const now = ctx.clock.now().getTime();
  const action = (verb: string) => `${PAGE_PATH}/${encodeURIComponent(sessionId)}/${verb}`;
  const [state, tone] =
    payment.status === 'open' && !payable(payment, now) ? STATE_TEXT.expired : STATE_TEXT[payment.status];
  const method =
    payment.status === 'paid' && payment.methodLast4
      ? `<dt>Paid with</dt><dd>${escapeHtml(`${payment.methodBrand ?? 'card'} •••• ${payment.methodLast4}`)}</dd>`
      : '';
  const actions = payable(payment, now)
    ? `<form method="post" action="${escapeHtml(action('pay'))}"><button class="pay" type="submit">Pay ${escapeHtml(formatMoney(payment.amountCents, payment.currency))}</button></form>
<form method="post" action="${escapeHtml(action('cancel'))}"><button class="cancel" type="submit">Cancel</button></form>
<form method="post" action="${escapeHtml(action('expire'))}"><button class="quiet" type="submit">Let it expire now</button></form>`
    : `<a class="button cancel" href="${escapeHtml(returnUrls(ctx.env, payment.subjectId)[payment.status === 'paid' ? 'successUrl' : 'cancelUrl'])}">Back to the appointment</a>`;
  return page(
    `Pay ${payment.description}`,
    `<h1>${escapeHtml(payment.description)}</h1>
<div class="amount">${escapeHtml(formatMoney(payment.amountCents, payment.currency))}</div>
<p class="state ${tone}">${escapeHtml(state)}</p>
<dl><dt>Patient</dt><dd>${escapeHtml(payer)}</dd><dt>Expires</dt><dd>${escapeHtml(utc(payment.expiresAt))}</dd>${method}<dt>Session</dt><dd>${escapeHtml(sessionId)}</dd></dl>
${actions}`,
  );
}

/**
 * Pays a local session: a signed `checkout.session.completed` (payment_status `paid`) through the
 * webhook path, which marks the payment and the appointment paid (and confirms a pay-at-booking one)
 * once. Answers where to send the browser: the success URL, or back to the page when the session can
 * no longer be paid (expired, failed). Paying a paid session sends nothing.
 * @throws AppError NOT_FOUND (as the page), SERVICE_UNAVAILABLE (webhook secret not set)
 */
export async function payLocalCheckout(ctx: ServiceContext, sessionId: string): Promise<string> {
  const { payment } = await localSession(ctx, sessionId);
  const { successUrl } = returnUrls(ctx.env, payment.subjectId);
  if (payment.status === 'paid') return successUrl;
  if (!payable(payment, ctx.clock.now().getTime())) return `${PAGE_PATH}/${encodeURIComponent(sessionId)}`;
  await deliver(ctx, 'checkout.session.completed', payment);
  return successUrl;
}

/**
 * Where Cancel sends the browser: the cancel URL. Nothing is sent or changed; the session stays open
 * until it expires, as with Stripe.
 * @throws AppError NOT_FOUND (as the page)
 */
export async function cancelLocalCheckout(ctx: ServiceContext, sessionId: string): Promise<string> {
  const { payment } = await localSession(ctx, sessionId);
  return returnUrls(ctx.env, payment.subjectId).cancelUrl;
}

/**
 * Lets an open local session expire now: a signed `checkout.session.expired` through the webhook path
 * (a pay-at-booking appointment is released). Answers the page, which then shows the state.
 * @throws AppError NOT_FOUND (as the page), SERVICE_UNAVAILABLE (webhook secret not set)
 */
export async function expireLocalCheckout(ctx: ServiceContext, sessionId: string): Promise<string> {
  const { payment } = await localSession(ctx, sessionId);
  if (payment.status === 'open') await deliver(ctx, 'checkout.session.expired', payment);
  return `${PAGE_PATH}/${encodeURIComponent(sessionId)}`;
}

/** The link back to a payment's local checkout while it is still payable, else nothing. */
const backLink = (payment: PaymentRow | undefined, now: number) =>
  payment && payment.provider === 'local' && payable(payment, now)
    ? `<a class="button pay" href="${escapeHtml(`${PAGE_PATH}/${encodeURIComponent(payment.checkoutSessionId)}`)}">Back to the checkout</a>`
    : '';

/** The result page's heading and its tone, from the payment's status as stored and the redirect's result. */
function headlineOf(status: string | undefined, result: 'success' | 'cancelled' | undefined): [string, string] {
  if (status === 'paid') return ['Payment received', 'ok'];
  if (result === 'cancelled') return ['Payment cancelled', 'warn'];
  if (status === 'processing') return ['Payment processing', 'warn'];
  if (status === 'failed') return ['Payment failed', 'bad'];
  return ['Not paid yet', 'warn'];
}

/** The result page: its heading, the rows, and the link back to the checkout. */
function resultPage(headline: [string, string], rows: [string, string][], back: string): string {
  return page(
    headline[0],
    `<h1 class="state ${headline[1]}">${escapeHtml(headline[0])}</h1>
<dl>${rows.map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>
${back}`,
  );
}

/**
 * The page the local checkout of a care session's bill returns to: its payment as D1 holds it now.
 * @throws AppError NOT_FOUND (production, a Stripe key set, or no payment of such a session)
 */
export async function careCheckoutReturnPage(
  ctx: ServiceContext,
  careSessionId: string,
  result: 'success' | 'cancelled' | undefined,
): Promise<string> {
  ensureLocal(ctx);
  const payment = (
    await ctx.db
      .select()
      .from(payments)
      .where(and(eq(payments.subjectType, 'care-session'), eq(payments.subjectId, careSessionId)))
  )[0];
  if (!payment) throw notFound('Care session');
  const rows: [string, string][] = [
    ['Care session', payment.description],
    ['Amount', formatMoney(payment.amountCents, payment.currency)],
    ['Payment status', payment.status],
  ];
  if (payment.status === 'paid' && payment.receiptNumber) rows.push(['Receipt', payment.receiptNumber]);
  return resultPage(headlineOf(payment.status, result), rows, backLink(payment, ctx.clock.now().getTime()));
}

/**
 * The page the local checkout returns to: the appointment's payment as D1 holds it now (the webhook
 * decides, not the redirect), and a link back to its checkout while that is still payable.
 * @throws AppError NOT_FOUND (production, a Stripe key set, or no such appointment)
 */
export async function checkoutReturnPage(
  ctx: ServiceContext,
  appointmentId: string,
  result: 'success' | 'cancelled' | undefined,
): Promise<string> {
  ensureLocal(ctx);
  const read = await batchOf(ctx.db, {
    appointment: ctx.db
      .select({
        status: appointments.status,
        paymentStatus: appointments.paymentStatus,
        paymentDueAt: appointments.paymentDueAt,
        startsAt: appointments.startsAt,
        priceCents: appointments.priceCents,
        currency: appointments.currency,
        service: doctorServices.name,
      })
      .from(appointments)
      .leftJoin(doctorServices, eq(doctorServices.id, appointments.serviceId))
      .where(eq(appointments.id, appointmentId)),
    payment: ctx.db
      .select()
      .from(payments)
      .where(and(eq(payments.subjectType, 'appointment'), eq(payments.subjectId, appointmentId))),
  });
  const appointment = read.appointment[0];
  if (!appointment) throw notFound('Appointment');
  const payment = read.payment[0];
  const now = ctx.clock.now().getTime();
  const paid = appointment.paymentStatus === 'paid';
  const headline = headlineOf(appointment.paymentStatus, result);
  const rows: [string, string][] = [
    ['Appointment', appointment.service ?? 'Consultation'],
    ['Starts', utc(appointment.startsAt)],
    ['Amount', formatMoney(appointment.priceCents, appointment.currency)],
    ['Appointment status', appointment.status],
    ['Payment status', appointment.paymentStatus],
  ];
  if (paid && payment?.methodLast4)
    rows.push(['Paid with', `${payment.methodBrand ?? 'card'} •••• ${payment.methodLast4}`]);
  if (paid && payment?.receiptNumber) rows.push(['Receipt', payment.receiptNumber]);
  if (!paid && appointment.paymentDueAt) rows.push(['Pay by', utc(appointment.paymentDueAt)]);
  return resultPage(headline, rows, backLink(payment, now));
}
