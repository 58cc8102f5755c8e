import { eq, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { userProfiles } from '../../db/schema';
import { isNationalFormat, isPhoneRegion } from '../../lib/phone';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';

/**
 * The region a number the signed-in user types for themselves (their new mobile number, an emergency
 * contact) is read in when it is in national format: their profile address's country when they gave
 * one that is a phone region, else `phone.defaultRegion` (null while it is empty). Null at once,
 * reading nothing, when `input` is absent or international; otherwise one read batch (the profile's
 * country and the settings, unless already held).
 */
export async function ownPhoneRegion(ctx: AuthedContext, input: string | null | undefined): Promise<string | null> {
  if (!input || !isNationalFormat(input)) return null;
  const { profile, settings } = await batchOf(ctx.db, {
    profile: ctx.db
      .select({ country: sql<string | null>`json_extract(${userProfiles.address}, '$.country')` })
      .from(userProfiles)
      .where(eq(userProfiles.userId, ctx.actor.id)),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, settings);
  const country = profile[0]?.country;
  if (country && isPhoneRegion(country)) return country;
  return (await getSetting(ctx, 'phone.defaultRegion')) || null;
}
