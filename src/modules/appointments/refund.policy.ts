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
 * A range of notice, in milliseconds before the start, and the refund percent a cancellation with
 * that notice earns: [minNoticeMs, maxNoticeMs), null meaning unbounded on that side.
 */
export interface RefundBand {
  minNoticeMs: number | null;
  maxNoticeMs: number | null;
  percent: number;
}

/**
 * The policy as disjoint notice ranges that together cover every notice, most notice first. For a
 * patient: each tier (most notice first) from its `minHoursBefore` up to the previous tier's (a tier
 * tied with or shadowed by an earlier one never applies), then nothing below the last. For the doctor
 * or staff: everything, whatever the notice. `refundFor` looks a notice up in these; a cancellation of
 * many rows at once (an account's erasure) selects each range's rows in SQL.
 * @example refundBands([{ minHoursBefore: 24, refundPercent: 100 }], 'patient')
 *   // [{ minNoticeMs: 86_400_000, maxNoticeMs: null, percent: 100 }, { minNoticeMs: null, maxNoticeMs: 86_400_000, percent: 0 }]
 */
export function refundBands(policy: readonly RefundTier[], cancelledBy: Relation): RefundBand[] {
  if (cancelledBy !== 'patient') return [{ minNoticeMs: null, maxNoticeMs: null, percent: 100 }];
  const bands: RefundBand[] = [];
  let upper: number | null = null;
  for (const tier of sortedTiers(policy)) {
    const min = Math.round(tier.minHoursBefore * HOUR_MS);
    if (upper !== null && min >= upper) continue;
    bands.push({ minNoticeMs: min, maxNoticeMs: upper, percent: tier.refundPercent });
    upper = min;
  }
  bands.push({ minNoticeMs: null, maxNoticeMs: upper, percent: 0 });
  return bands;
}

/** The refund in cents of `percent` of a price, rounded down to whole cents. */
export const refundCents = (priceCents: number, percent: number): number => Math.floor((priceCents * percent) / 100);

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
  const band = refundBands(policy, input.cancelledBy).find(
    (b) =>
      (b.minNoticeMs === null || noticeMs >= b.minNoticeMs) && (b.maxNoticeMs === null || noticeMs < b.maxNoticeMs),
  );
  const percent = band?.percent ?? 0;
  return { percent, amountCents: refundCents(input.priceCents, percent) };
}
