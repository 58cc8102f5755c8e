/**
 * Pure date rules of vaccine schedules. Dates are calendar dates `YYYY-MM-DD` computed in UTC, so the
 * results never depend on the runtime's time zone.
 */

/** Accepted range of due and administration dates (past dates are catch-up records). */
export const EARLIEST_DATE = '1900-01-01';
export const LATEST_DATE = '2199-12-31';

export const AGE_WARNINGS = { belowMin: 'below minimum age', aboveMax: 'above maximum age' } as const;

function parts(date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number);
  return [y!, m!, d!];
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Whole months of age on `on` for someone born on `born` (-1 before birth). A birthday on the 31st
 * completes a month on the last day of shorter months.
 * @example ageInMonths('2024-01-31', '2024-02-29') // 1; ageInMonths('2024-03-14', '2024-05-13') // 1
 */
export function ageInMonths(born: string, on: string): number {
  if (on < born) return -1;
  const [by, bm, bd] = parts(born);
  const [y, m, d] = parts(on);
  const months = (y - by) * 12 + (m - bm);
  return d < Math.min(bd, daysInMonth(y, m)) ? months - 1 : months;
}

export interface AgeRange {
  minAgeMonths: number | null;
  maxAgeMonths: number | null;
}

/** Warnings (never refusals) when the age on `on` is outside the vaccine's range; none when the birth date is unknown. */
export function ageWarnings(range: AgeRange | null, born: string | null, on: string): string[] {
  if (!range || !born) return [];
  const age = ageInMonths(born, on);
  if (range.minAgeMonths !== null && age < range.minAgeMonths) return [AGE_WARNINGS.belowMin];
  if (range.maxAgeMonths !== null && age > range.maxAgeMonths) return [AGE_WARNINGS.aboveMax];
  return [];
}
