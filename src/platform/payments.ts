import Stripe from 'stripe';
import type { PaymentProviderName } from '../db/schema';
import { AppError } from '../lib/errors';

/**
 * The payments port: what the payments module asks of a payment provider. Stripe in production; the
 * local checkout page in development when no Stripe key is set. A second provider (e.g. Razorpay for
 * rupees) implements the same four calls and its own event mapping; appointments never see it.
 */

/** A hosted checkout for one payment attempt. */
export interface CheckoutRequest {
  paymentId: string;
  /** What is paid for: `client_reference_id` and metadata carry it, so every event leads back. */
  subject: { type: string; id: string };
  description: string;
  amountCents: number;
  /** ISO 4217, upper case. */
  currency: string;
  customerEmail: string | null;
  /** UTC ms; Stripe accepts 30 minutes to 24 hours ahead. */
  expiresAt: number;
  successUrl: string;
  cancelUrl: string;
  /** The same key with the same request answers the same session (retries create nothing new). */
  idempotencyKey: string;
}

export interface CheckoutSession {
  id: string;
  url: string;
}

/** What a settled payment was made with: the reconciliation ids and the card's brand and last four only. */
export interface PaymentDetails {
  chargeId: string | null;
  balanceTransactionId: string | null;
  brand: string | null;
  last4: string | null;
}

export interface RefundRequest {
  paymentIntentId: string;
  amountCents: number;
  /** The refund's own id: the provider idempotency key, so a retried job refunds once. */
  idempotencyKey: string;
  metadata: Record<string, string>;
}

export interface ProviderRefund {
  id: string;
  status: 'pending' | 'succeeded' | 'failed';
  balanceTransactionId: string | null;
  failureReason: string | null;
}

/** A verified webhook event, in Stripe's shape (the local page sends the same shape). */
export interface ProviderEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

export interface PaymentProvider {
  name: PaymentProviderName;
  createCheckout(request: CheckoutRequest): Promise<CheckoutSession>;
  /** The charge behind a completed checkout's payment intent. */
  paymentDetails(paymentIntentId: string): Promise<PaymentDetails>;
  refund(request: RefundRequest): Promise<ProviderRefund>;
  /**
   * Proves a webhook came from the provider: the `Stripe-Signature` HMAC of the raw body under the
   * webhook secret, at most `WEBHOOK_TOLERANCE_SECONDS` old at `nowMs` (the injected clock).
   * @throws AppError UNAUTHENTICATED (no signature), TOKEN_INVALID (forged, stale or malformed)
   */
  verifyEvent(payload: string, signature: string | undefined, nowMs: number): Promise<ProviderEvent>;
}

/** How old a signed webhook may be: Stripe's default tolerance, which bounds replays of a captured request. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export interface PaymentsConfig {
  /** `sk_live_…`/`sk_test_…`; without it, development uses the local checkout page and production refuses. */
  secretKey?: string;
  webhookSecret?: string;
  /** Development without a key: the base of the local checkout page's URL (the API's own origin). */
  localCheckoutBase?: string;
}

const cryptoProvider = Stripe.createSubtleCryptoProvider();
/** Webhook verification needs no API key; one Stripe instance with a dummy key serves it. */
const webhookVerifier = new Stripe('sk_webhooks_only', { httpClient: Stripe.createFetchHttpClient() });

/**
 * Verifies a Stripe-signed payload under `secret` (shared by the Stripe and local adapters: the local
 * checkout page signs its events exactly as Stripe does).
 */
async function verifyStripeSigned(
  secret: string | undefined,
  payload: string,
  signature: string | undefined,
  nowMs: number,
): Promise<ProviderEvent> {
  if (!secret) throw notConfigured('STRIPE_WEBHOOK_SECRET');
  if (!signature) throw new AppError('UNAUTHENTICATED', 'Stripe-Signature is missing');
  try {
    const event = await webhookVerifier.webhooks.constructEventAsync(
      payload,
      signature,
      secret,
      WEBHOOK_TOLERANCE_SECONDS,
      cryptoProvider,
      // stripe-node takes the receipt time in milliseconds.
      nowMs,
    );
    return event as unknown as ProviderEvent;
  } catch (err) {
    throw new AppError('TOKEN_INVALID', 'Stripe-Signature does not match this request, or it is too old', {
      details: { reason: err instanceof Error ? err.message.split('\n')[0] : 'invalid' },
    });
  }
}

/**
 * Signs `payload` as Stripe signs webhooks (`t=<seconds>,v1=<HMAC-SHA256>`): for the local checkout
 * page, which delivers its events to the API's own webhook endpoint.
 */
export function signStripePayload(secret: string, payload: string, nowSeconds: number): Promise<string> {
  return webhookVerifier.webhooks.generateTestHeaderStringAsync({
    payload,
    secret,
    timestamp: nowSeconds,
    cryptoProvider,
  });
}

function notConfigured(missing: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'Payments are not configured', { details: { missing } });
}

/** A provider refusal as the API's error: the payer's or the request's problem, not an outage. */
function providerError(err: unknown): AppError {
  if (
    err instanceof Stripe.errors.StripeError &&
    err.type !== 'StripeConnectionError' &&
    err.type !== 'StripeAPIError'
  ) {
    return new AppError('PAYMENT_FAILED', err.message, { details: { provider: 'stripe', code: err.code ?? err.type } });
  }
  return new AppError('SERVICE_UNAVAILABLE', 'The payment provider could not be reached', {
    details: { provider: 'stripe' },
  });
}

const idOf = (value: unknown): string | null =>
  typeof value === 'string' ? value : value && typeof value === 'object' && 'id' in value ? String(value.id) : null;

/**
 * Stripe over its fetch HTTP client (the Node client is reported to hang on workerd), through `fetcher`
 * so tests see every request. Checkout sessions carry the payment and subject ids in
 * `client_reference_id` and metadata (on the payment intent too, so charge and refund events lead back).
 */
export function stripePayments(config: PaymentsConfig & { secretKey: string }, fetcher: typeof fetch): PaymentProvider {
  const stripe = new Stripe(config.secretKey, {
    httpClient: Stripe.createFetchHttpClient(fetcher),
    maxNetworkRetries: 1,
    timeout: 20_000,
  });
  return {
    name: 'stripe',
    async createCheckout(request) {
      const metadata = {
        paymentId: request.paymentId,
        subjectType: request.subject.type,
        subjectId: request.subject.id,
      };
      try {
        const session = await stripe.checkout.sessions.create(
          {
            mode: 'payment',
            client_reference_id: request.subject.id,
            metadata,
            payment_intent_data: { metadata },
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: request.currency.toLowerCase(),
                  unit_amount: request.amountCents,
                  product_data: { name: request.description },
                },
              },
            ],
            ...(request.customerEmail ? { customer_email: request.customerEmail } : {}),
            expires_at: Math.floor(request.expiresAt / 1000),
            success_url: request.successUrl,
            cancel_url: request.cancelUrl,
          },
          { idempotencyKey: request.idempotencyKey },
        );
        if (!session.url) throw new AppError('PAYMENT_FAILED', 'Stripe returned a checkout session without a URL');
        return { id: session.id, url: session.url };
      } catch (err) {
        throw err instanceof AppError ? err : providerError(err);
      }
    },
    async paymentDetails(paymentIntentId) {
      try {
        const intent = await stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] });
        const charge = intent.latest_charge && typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
        const card = charge?.payment_method_details?.card;
        return {
          chargeId: idOf(intent.latest_charge),
          balanceTransactionId: idOf(charge?.balance_transaction),
          brand: card?.brand ?? charge?.payment_method_details?.type ?? null,
          last4: card?.last4 ?? null,
        };
      } catch (err) {
        throw providerError(err);
      }
    },
    async refund(request) {
      try {
        const refund = await stripe.refunds.create(
          { payment_intent: request.paymentIntentId, amount: request.amountCents, metadata: request.metadata },
          { idempotencyKey: request.idempotencyKey },
        );
        return {
          id: refund.id,
          status:
            refund.status === 'succeeded'
              ? 'succeeded'
              : refund.status === 'failed' || refund.status === 'canceled'
                ? 'failed'
                : 'pending',
          balanceTransactionId: idOf(refund.balance_transaction),
          failureReason: refund.failure_reason ?? null,
        };
      } catch (err) {
        throw providerError(err);
      }
    },
    verifyEvent: (payload, signature, nowMs) => verifyStripeSigned(config.webhookSecret, payload, signature, nowMs),
  };
}

/** The path of the local checkout page (development only), followed by the session id. */
export const LOCAL_CHECKOUT_PATH = '/dev/checkout';

/**
 * Development without a Stripe key: sessions are pages of this API (`GET /dev/checkout/{id}`) that pay
 * or cancel by posting a correctly signed event to the API's own webhook, so the whole flow (webhook
 * included) runs locally. Cards are "Visa •••• 4242"; refunds succeed at once. Ids are derived from the
 * payment's, so they are stable across retries like Stripe's idempotent answers.
 */
export function localPayments(config: PaymentsConfig): PaymentProvider {
  const base = (config.localCheckoutBase ?? 'http://localhost:8787').replace(/\/+$/, '');
  return {
    name: 'local',
    async createCheckout(request) {
      const id = `cs_local_${request.idempotencyKey.replace(/[^A-Za-z0-9]/g, '')}`;
      return { id, url: `${base}/api/v1${LOCAL_CHECKOUT_PATH}/${id}` };
    },
    async paymentDetails(paymentIntentId) {
      const suffix = paymentIntentId.replace(/^pi_local_/, '');
      return {
        chargeId: `ch_local_${suffix}`,
        balanceTransactionId: `txn_local_${suffix}`,
        brand: 'visa',
        last4: '4242',
      };
    },
    async refund(request) {
      return {
        id: `re_local_${request.idempotencyKey.replace(/[^A-Za-z0-9]/g, '')}`,
        status: 'succeeded',
        balanceTransactionId: `txn_local_${request.idempotencyKey.replace(/[^A-Za-z0-9]/g, '')}`,
        failureReason: null,
      };
    },
    verifyEvent: (payload, signature, nowMs) => verifyStripeSigned(config.webhookSecret, payload, signature, nowMs),
  };
}

/** Production without STRIPE_SECRET_KEY: every payment call is refused, nothing is pretended. */
export function unconfiguredPayments(config: PaymentsConfig): PaymentProvider {
  const refuse = () => Promise.reject(notConfigured('STRIPE_SECRET_KEY'));
  return {
    name: 'stripe',
    createCheckout: refuse,
    paymentDetails: refuse,
    refund: refuse,
    verifyEvent: (payload, signature, nowMs) => verifyStripeSigned(config.webhookSecret, payload, signature, nowMs),
  };
}
