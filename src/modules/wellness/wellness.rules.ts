import type { ServiceContext } from '../../context';
import { AppError } from '../../lib/errors';
import { addDays } from '../../lib/time';

/**
 * A user's local date may run a day ahead of UTC, so a date up to tomorrow (UTC, on `ctx.clock`) is
 * accepted; anything later is 422 before anything is written.
 * @throws AppError VALIDATION_FAILED
 */
export function refuseFutureDate(ctx: ServiceContext, date: string, field: string): void {
  const latest = addDays(ctx.clock.now().toISOString().slice(0, 10), 1);
  if (date > latest) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field, message: 'Must not be in the future' }],
    });
  }
}

/** Rounds to one decimal (averages and changes). */
export const oneDecimal = (n: number) => Math.round(n * 10) / 10;
