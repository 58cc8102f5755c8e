import { recordingFetch } from '../helpers';

/** A refund as Stripe answers `POST /v1/refunds` for the form it was sent. */
export function stripeRefundJson(form: URLSearchParams, status: 'succeeded' | 'pending' | 'failed', n: number) {
  return {
    id: `re_test_${n}_${form.get('metadata[refundId]')?.slice(-8)}`,
    object: 'refund',
    amount: Number(form.get('amount')),
    balance_transaction: status === 'succeeded' ? `txn_re_${n}` : null,
    charge: 'ch_test',
    created: 1_764_576_000,
    currency: 'eur',
    metadata: {
      refundId: form.get('metadata[refundId]'),
      paymentId: form.get('metadata[paymentId]'),
      subjectId: form.get('metadata[subjectId]'),
    },
    payment_intent: form.get('payment_intent'),
    reason: null,
    status,
    ...(status === 'failed' ? { failure_reason: 'expired_or_canceled_card' } : {}),
  };
}

/** What Stripe answers a refund it refuses: a 402 card error, never retried by the client. */
export const stripeDeclined = () =>
  Response.json(
    {
      error: {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
      },
    },
    { status: 402, headers: { 'stripe-should-retry': 'false' } },
  );

/** Stripe down: a 500 the client is told not to retry itself (the queue retries the job). */
export const stripeDown = () =>
  Response.json(
    { error: { type: 'api_error', message: 'An unknown error occurred' } },
    { status: 500, headers: { 'stripe-should-retry': 'false' } },
  );

/** A form-encoded body, decoded (read as bytes: workerd warns when `.text()` reads a non-text type). */
const formOf = async (req: Request) => new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer()));

export interface RefundCall {
  method: string;
  url: string;
  idempotencyKey: string | null;
  form: URLSearchParams;
}

/**
 * Stripe's refunds API behind the injected fetch: `POST /v1/refunds` answers a refund (`succeeded`
 * unless `answer` says otherwise, e.g. `stripeDeclined`); anything else is a 404 Stripe error.
 * `calls()` decodes every refund request Stripe received (form body and Idempotency-Key).
 */
export function stripeRefunds(answer?: (form: URLSearchParams) => Response) {
  let n = 0;
  const { fetch, requests } = recordingFetch(async (req) => {
    const url = new URL(req.url);
    if (req.method !== 'POST' || url.pathname !== '/v1/refunds') {
      return Response.json(
        { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } },
        { status: 404 },
      );
    }
    const form = await formOf(req);
    n += 1;
    return answer ? answer(form) : Response.json(stripeRefundJson(form, 'succeeded', n));
  });
  const calls = (): Promise<RefundCall[]> =>
    Promise.all(
      requests.map(async (req) => ({
        method: req.method,
        url: req.url,
        idempotencyKey: req.headers.get('idempotency-key'),
        form: await formOf(req.clone()),
      })),
    );
  return { fetch, requests, calls };
}
