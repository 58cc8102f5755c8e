import { z } from '@hono/zod-openapi';
import { REFUND_STATUSES } from '../../db/schema';
import { idParam, PageQuery } from '../../http/openapi';
import { FreeText } from '../appointments/appointments.schemas';

/** An admin's refund of a paid payment: all of what is left, or part of it, and why. */
export const RefundRequestBody = z
  .strictObject({
    amountCents: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .openapi({ description: "In the payment currency's minor unit; at most what is paid and not yet refunded" }),
    reason: FreeText(500),
  })
  .openapi('RefundRequest', { example: { amountCents: 2500, reason: 'Visit ended early: half the fee back' } });

/** A second admin's decision on a refund awaiting approval. */
export const RefundDecisionBody = z
  .strictObject({ reason: FreeText(500).optional() })
  .openapi('RefundDecision', { example: { reason: 'Checked with the doctor' } });

export const RefundIdParam = idParam('rfd', 'refund');

export const RefundListQuery = PageQuery.extend({
  status: z.enum(REFUND_STATUSES).optional().openapi({ example: 'awaiting-approval' }),
  paymentId: z.string().min(1).max(64).optional().openapi({ example: 'pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD' }),
});

export type RefundListInput = z.output<typeof RefundListQuery>;
