import { z } from '@hono/zod-openapi';
import {
  PAYMENT_PROVIDERS,
  PAYMENT_STATUSES,
  PAYMENT_SUBJECTS,
  REFUND_SOURCES,
  REFUND_STATUSES,
} from '../../db/schema';

export const RefundViewSchema = z
  .object({
    id: z.string(),
    paymentId: z.string(),
    amountCents: z.number().int(),
    currency: z.string(),
    source: z.enum(REFUND_SOURCES).openapi({
      description: '`cancellation` (the policy), `admin`, or `provider` (made in the Stripe dashboard)',
    }),
    status: z.enum(REFUND_STATUSES),
    reason: z.string().nullable(),
    requestedBy: z.string().nullable(),
    approvedBy: z.string().nullable(),
    providerRefundId: z.string().nullable(),
    balanceTransactionId: z.string().nullable(),
    failureReason: z.string().nullable(),
    refundedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('PaymentRefund', {
    example: {
      id: 'rfd_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      paymentId: 'pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD',
      amountCents: 2500,
      currency: 'EUR',
      source: 'cancellation',
      status: 'succeeded',
      reason: 'Cancelled 3 hours before the start (50 %)',
      requestedBy: null,
      approvedBy: null,
      providerRefundId: 're_3PqK2hLkdIwHu7ix0aB1cD2e',
      balanceTransactionId: 'txn_3PqK2hLkdIwHu7ix0fG3hI4j',
      failureReason: null,
      refundedAt: '2026-12-01T09:00:00.000Z',
      createdAt: '2026-12-01T09:00:00.000Z',
    },
  });

export const PaymentViewSchema = z
  .object({
    id: z.string(),
    subject: z.object({ type: z.enum(PAYMENT_SUBJECTS), id: z.string() }),
    payerId: z.string(),
    payeeId: z.string(),
    description: z.string(),
    amountCents: z.number().int().openapi({ description: "In the currency's minor unit (cents)" }),
    currency: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    provider: z.enum(PAYMENT_PROVIDERS),
    method: z
      .object({ brand: z.string().nullable(), last4: z.string().nullable() })
      .nullable()
      .openapi({ description: 'The card brand and last four digits only; no other card data is kept' }),
    refundedCents: z.number().int(),
    receiptNumber: z.string().nullable(),
    checkout: z
      .object({ sessionId: z.string(), url: z.string(), expiresAt: z.string() })
      .nullable()
      .openapi({ description: 'While the payment is open: where to send the payer' }),
    balanceTransactionId: z.string().nullable(),
    failureReason: z.string().nullable(),
    paidAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    refunds: z.array(RefundViewSchema),
  })
  .openapi('Payment', {
    example: {
      id: 'pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD',
      subject: { type: 'appointment', id: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K' },
      payerId: 'usr_01DEMD0PAT1ENT000000000000',
      payeeId: 'usr_01DEMD0D0CT0R0000000000000',
      description: 'General consultation',
      amountCents: 5000,
      currency: 'EUR',
      status: 'paid',
      provider: 'stripe',
      method: { brand: 'visa', last4: '4242' },
      refundedCents: 0,
      receiptNumber: 'KW-2026-01JF8ZS5',
      checkout: null,
      balanceTransactionId: 'txn_3PqK2hLkdIwHu7ix0aB1cD2e',
      failureReason: null,
      paidAt: '2026-12-01T08:10:00.000Z',
      createdAt: '2026-12-01T08:00:00.000Z',
      updatedAt: '2026-12-01T08:10:00.000Z',
      refunds: [],
    },
  });

export const PaymentIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD' }),
});
