import { eq } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { careSessions } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { localDateAt } from '../../lib/time';
import { openCheckout, payLaterExpiresAt, subjectPaymentQueries } from '../payments/checkout.service';
import type { PaymentView } from '../payments/payment-access';
import { seenSession, sessionDetails } from './care-session-access';

/**
 * Paying a completed session's bill (fixed at check-out: lifecycle.policy.ts `careBill`) through the
 * payments module's hosted checkout, by the patient side or staff; the paid payment has a receipt
 * (GET /api/v1/payments/{id}/receipt) like every other. Two round trips plus the provider call.
 * @throws AppError NOT_FOUND (not the caller's), FORBIDDEN (the caregiver), CONFLICT (not completed,
 *   nothing to pay, already paid or settling), PAYMENT_FAILED, SERVICE_UNAVAILABLE
 */
export async function startCareCheckout(
  ctx: AuthedContext,
  id: string,
): Promise<{ payment: PaymentView; created: boolean }> {
  const subject = { type: 'care-session' as const, id };
  const read = await batchOf(ctx.db, {
    rows: sessionDetails(ctx).where(eq(careSessions.id, id)),
    ...subjectPaymentQueries(
      ctx,
      subject,
      ctx.db.select({ id: careSessions.patientId }).from(careSessions).where(eq(careSessions.id, id)),
    ),
  });
  const row = seenSession(read.rows[0]);
  if (row.relation === 'caregiver') {
    throw new AppError('FORBIDDEN', 'Only the patient side or staff pay a care session');
  }
  if (row.status !== 'completed' || row.amountCents === null || row.billedMinutes === null) {
    throw new AppError('CONFLICT', `This care session is ${row.status}: it is billed at check-out`, {
      details: { status: row.status },
    });
  }
  if (row.amountCents === 0) throw new AppError('CONFLICT', 'This care session has nothing to pay');
  return openCheckout(ctx, {
    subject,
    payerId: row.patientId,
    payeeId: row.caregiverId,
    description: `Home care on ${localDateAt(row.startsAt, row.timeZone)}: ${row.billedMinutes} min at ${(row.hourlyRateCents / 100).toFixed(2)} ${row.currency}/h`,
    amountCents: row.amountCents,
    currency: row.currency,
    customerEmail: read.payer[0]?.email ?? null,
    existing: read.payment[0],
    expiresAt: payLaterExpiresAt(ctx.clock.now().getTime()),
  });
}
