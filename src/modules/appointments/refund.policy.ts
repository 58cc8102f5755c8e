import { HOUR_MS } from '../../lib/time';
import type { Relation } from './appointment-access';

/** One tier of the setting 'appointments.cancellationPolicy'. */
export interface RefundTier {
  minHoursBefore: number;
  refundPercent: number;
}

export interface Refund {
  percent: number;
  amountCents: number;
}

/** The tiers in the order they are tried: most notice first (ties keep the setting's order). */
export function sortedTiers(policy: readonly RefundTier[]): RefundTier[] {
  return [...policy].sort((a, b) => b.minHoursBefore - a.minHoursBefore);
}

/**
 * The refund due for a cancellation. A patient gets the first tier (most notice first) whose
 * `minHoursBefore` their notice reaches; with less notice than every tier, or after the start, nothing.
 * A cancellation by the doctor or staff refunds everything. Amounts round down to whole cents.
 * @example refundFor([{ minHoursBefore: 24, refundPercent: 100 }, { minHoursBefore: 2, refundPercent: 50 }],
 *   { startsAt, cancelledAt: startsAt - 3 * 3_600_000, priceCents: 4999, cancelledBy: 'patient' })
 *   // { percent: 50, amountCents: 2499 }
 */
export function refundFor(
  policy: readonly RefundTier[],
  input: { startsAt: number; cancelledAt: number; priceCents: number; cancelledBy: Relation },
): Refund {
  const noticeMs = input.startsAt - input.cancelledAt;
  const percent =
    input.cancelledBy === 'patient'
      ? (sortedTiers(policy).find((tier) => Math.round(tier.minHoursBefore * HOUR_MS) <= noticeMs)?.refundPercent ?? 0)
      : 100;
  return { percent, amountCents: Math.floor((input.priceCents * percent) / 100) };
}
