import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** What a payment pays for: a visit now, a home-care session later (the same module bills both). */
export const PAYMENT_SUBJECTS = ['appointment', 'care-session'] as const;
export type PaymentSubject = (typeof PAYMENT_SUBJECTS)[number];

/** The providers a payment can go through: Stripe, or the local checkout page (development only). */
export const PAYMENT_PROVIDERS = ['stripe', 'local'] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number];

/**
 * A payment's state. `open`: a checkout session waits for the payer. `processing`: checkout completed
 * with a delayed method (bank debit) not yet settled. `paid`: the money arrived. `failed`: the delayed
 * method failed (a new checkout may be started). `expired`: the session ran out unpaid.
 */
export const PAYMENT_STATUSES = ['open', 'processing', 'paid', 'failed', 'expired'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * One payment per subject (an appointment's fee), owned by the payments module. Each checkout attempt
 * replaces the session columns and bumps `attempts`, which is part of the provider idempotency key; an
 * event for an older session is recognised by its session id. Card data is never stored beyond the
 * brand and last four digits.
 */
export const payments = sqliteTable(
  'payments',
  {
    id: text('id').primaryKey(),
    subjectType: text('subject_type', { enum: PAYMENT_SUBJECTS }).notNull(),
    subjectId: text('subject_id').notNull(),
    /** Who pays (the patient) and who earns (the doctor or caregiver). */
    payerId: text('payer_id').notNull(),
    payeeId: text('payee_id').notNull(),
    /** The line item, e.g. the service's name. */
    description: text('description').notNull(),
    amountCents: integer('amount_cents').notNull(),
    currency: text('currency').notNull(),
    provider: text('provider', { enum: PAYMENT_PROVIDERS }).notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(1),
    checkoutSessionId: text('checkout_session_id').notNull(),
    checkoutUrl: text('checkout_url').notNull(),
    expiresAt: integer('expires_at').notNull(),
    paymentIntentId: text('payment_intent_id'),
    chargeId: text('charge_id'),
    /** The provider's balance transaction of the charge: the reconciliation key. */
    balanceTransactionId: text('balance_transaction_id'),
    methodBrand: text('method_brand'),
    methodLast4: text('method_last4'),
    /** Refunded so far (succeeded refunds), in the currency's minor unit. */
    refundedCents: integer('refunded_cents').notNull().default(0),
    /** The tax rate in basis points when paid, so a receipt never changes with the setting. */
    taxRateBps: integer('tax_rate_bps'),
    taxLabel: text('tax_label'),
    /** `KW-<year>-<sequence>`, given when paid. */
    receiptNumber: text('receipt_number'),
    failureReason: text('failure_reason'),
    paidAt: integer('paid_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('payments_subject_idx').on(t.subjectType, t.subjectId),
    uniqueIndex('payments_session_idx').on(t.checkoutSessionId),
    uniqueIndex('payments_receipt_idx').on(t.receiptNumber),
    index('payments_intent_idx').on(t.paymentIntentId),
    index('payments_payer_idx').on(t.payerId, t.createdAt),
    index('payments_payee_idx').on(t.payeeId, t.paidAt),
    index('payments_paid_idx').on(t.paidAt),
  ],
);

export type PaymentRow = typeof payments.$inferSelect;

/** Why money went back: the cancellation policy, an admin, or someone in the provider's dashboard. */
export const REFUND_SOURCES = ['cancellation', 'admin', 'provider'] as const;
export type RefundSource = (typeof REFUND_SOURCES)[number];

/**
 * A refund's state. `awaiting-approval`: above the approval threshold, waiting for a second admin.
 * `pending`: asked of the provider (or about to be). `succeeded`, `failed`: the provider's answer.
 * `rejected`: the second admin said no.
 */
export const REFUND_STATUSES = ['awaiting-approval', 'pending', 'succeeded', 'failed', 'rejected'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/**
 * Money going back on a payment. `key` makes a refund idempotent on its cause (`cancellation:<subject>`
 * for the cancellation policy's refund, so cancelling twice can never refund twice); the refund's id is
 * the provider idempotency key.
 */
export const refunds = sqliteTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    paymentId: text('payment_id').notNull(),
    key: text('key').notNull(),
    amountCents: integer('amount_cents').notNull(),
    currency: text('currency').notNull(),
    source: text('source', { enum: REFUND_SOURCES }).notNull(),
    status: text('status', { enum: REFUND_STATUSES }).notNull(),
    reason: text('reason'),
    requestedBy: text('requested_by'),
    approvedBy: text('approved_by'),
    decidedAt: integer('decided_at'),
    providerRefundId: text('provider_refund_id'),
    balanceTransactionId: text('balance_transaction_id'),
    failureReason: text('failure_reason'),
    refundedAt: integer('refunded_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('refunds_key_idx').on(t.key),
    uniqueIndex('refunds_provider_idx').on(t.providerRefundId),
    index('refunds_payment_idx').on(t.paymentId, t.createdAt),
    index('refunds_status_idx').on(t.status, t.createdAt),
    // The stats rollups: refunds per day (net revenue).
    index('refunds_refunded_idx').on(t.refundedAt),
  ],
);

export type RefundRow = typeof refunds.$inferSelect;

/**
 * Every provider webhook event applied, by the provider's event id (primary key): the insert commits
 * in the same batch as the event's effects, so a replay, Stripe's retry of a delivered event or a
 * concurrent duplicate fails on the key and changes nothing. `outcome` says what it did.
 */
export const paymentEvents = sqliteTable(
  'payment_events',
  {
    id: text('id').primaryKey(),
    provider: text('provider', { enum: PAYMENT_PROVIDERS }).notNull(),
    type: text('type').notNull(),
    /** The payment it concerned, when one was found. */
    paymentId: text('payment_id'),
    outcome: text('outcome').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('payment_events_payment_idx').on(t.paymentId, t.receivedAt)],
);
