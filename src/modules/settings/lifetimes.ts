import type { ServiceContext } from '../../context';
import { getSetting } from './settings.service';

/**
 * The lifetimes of the credentials Kinwell issues, from their settings (`auth.*`). Each reads the
 * settings snapshot of the unit of work: a flow that issues a token or a code puts `settingsQuery` in
 * its read batch and `primeSettings` the answer, so reading a lifetime costs no round trip of its own.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Seconds an access token issued now lasts (`auth.accessTokenTtlMinutes`). */
export async function accessTokenTtlSeconds(ctx: ServiceContext): Promise<number> {
  return (await getSetting(ctx, 'auth.accessTokenTtlMinutes')) * 60;
}

/** Milliseconds a refresh token issued now lasts (`auth.refreshTokenTtlDays`). */
export async function refreshTokenTtlMs(ctx: ServiceContext): Promise<number> {
  return (await getSetting(ctx, 'auth.refreshTokenTtlDays')) * DAY;
}

/** Milliseconds a one-time code sent now lasts (`auth.otpTtlMinutes`); invitations keep their own. */
export async function codeTtlMs(ctx: ServiceContext): Promise<number> {
  return (await getSetting(ctx, 'auth.otpTtlMinutes')) * MINUTE;
}
