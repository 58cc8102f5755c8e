import { and, asc, eq, gt, inArray, ne, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { deviceTokens, emergencyContacts, type Role, type UserStatus, userProfiles, users } from '../../db/schema';

/**
 * What the notification pipeline needs to know of a person, read from the users module's tables: where
 * a notice can reach them and in which language. Only verified addresses count: a notice never goes to
 * an email address or number nobody proved.
 */
export interface RecipientContact {
  id: string;
  role: Role;
  status: UserStatus;
  /** The verified email address, or null. */
  email: string | null;
  /** The verified mobile number (E.164), or null. */
  mobileNumber: string | null;
  /** BCP 47 tag from the profile, or null. */
  preferredLanguage: string | null;
  timeZone: string | null;
}

/** The statement reading one person's contact (no row when there is no such account), for a batch. */
export function recipientContactQuery(ctx: ServiceContext, userId: string) {
  return ctx.db
    .select({
      id: users.id,
      role: users.role,
      status: users.status,
      email: users.email,
      emailVerifiedAt: users.emailVerifiedAt,
      mobileNumber: users.mobileNumber,
      mobileVerifiedAt: users.mobileVerifiedAt,
      preferredLanguage: userProfiles.preferredLanguage,
      timeZone: userProfiles.timeZone,
    })
    .from(users)
    .leftJoin(userProfiles, eq(userProfiles.userId, users.id))
    .where(eq(users.id, userId));
}

type ContactRow = Awaited<ReturnType<typeof recipientContactQuery>>[number];

/** The contact of a `recipientContactQuery` answer, unverified addresses dropped; null without a row. */
export function recipientContactOf(rows: readonly ContactRow[]): RecipientContact | null {
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    role: row.role,
    status: row.status,
    email: row.email && row.emailVerifiedAt !== null ? row.email : null,
    mobileNumber: row.mobileNumber && row.mobileVerifiedAt !== null ? row.mobileNumber : null,
    preferredLanguage: row.preferredLanguage ?? null,
    timeZone: row.timeZone ?? null,
  };
}

/** The statement reading the push tokens of a person's registered devices, for a batch. */
export function deviceTokensQuery(ctx: ServiceContext, userId: string) {
  return ctx.db.select({ token: deviceTokens.token }).from(deviceTokens).where(eq(deviceTokens.userId, userId));
}

/**
 * The statement deleting tokens the push provider reported dead (the app was uninstalled, the token
 * expired), for a batch; only this person's, so a token reported for one user never removes another's.
 */
export function deleteDeviceTokensStatement(ctx: ServiceContext, userId: string, tokens: readonly string[]) {
  return ctx.db
    .delete(deviceTokens)
    .where(and(eq(deviceTokens.userId, userId), inArray(deviceTokens.token, [...tokens])));
}

/**
 * Accounts an announcement to a role or everyone reaches: the ones that may use the product (not
 * blocked, deactivated or removed). One named account is reached whatever its status, unless removed.
 */
const REACHABLE: readonly UserStatus[] = ['active', 'pending'];

/** Who an announcement goes to: one account, every account of a role, or every account. */
export type Audience = { kind: 'user'; userId: string } | { kind: 'role'; role: Role } | { kind: 'everyone' };

function audienceWhere(audience: Audience): SQL | undefined {
  if (audience.kind === 'user') return and(eq(users.id, audience.userId), ne(users.status, 'removed'));
  const reachable = inArray(users.status, [...REACHABLE]);
  return audience.kind === 'role' ? and(eq(users.role, audience.role), reachable) : reachable;
}

/**
 * One page of an audience's reachable account ids after `after` (ids ascend; '' starts), at most
 * `limit`: the broadcast fan-out walks it page by page, never all at once.
 */
export async function audiencePage(
  ctx: ServiceContext,
  audience: Audience,
  after: string,
  limit: number,
): Promise<string[]> {
  const rows = await ctx.db
    .select({ id: users.id })
    .from(users)
    .where(and(audienceWhere(audience), gt(users.id, after)))
    .orderBy(asc(users.id))
    .limit(limit)
    .all();
  return rows.map((row) => row.id);
}

/** The statement finding one account an announcement can name (not removed): a row with its id, or none. */
export function announceableAccountQuery(ctx: ServiceContext, userId: string) {
  return ctx.db
    .select({ id: users.id })
    .from(users)
    .where(audienceWhere({ kind: 'user', userId }));
}

/**
 * The statement reading one emergency contact (a row of `emergency_contacts`, not an account) as a
 * recipient, for an urgent notice about the person who named them (a care alert), for a batch.
 */
export function emergencyContactQuery(ctx: ServiceContext, contactId: string) {
  return ctx.db
    .select({ id: emergencyContacts.id, email: emergencyContacts.email, phone: emergencyContacts.phone })
    .from(emergencyContacts)
    .where(eq(emergencyContacts.id, contactId));
}

/**
 * The contact of an `emergencyContactQuery` answer; null without a row. The addresses are the ones the
 * patient gave for emergencies (not proved by the contact): used for urgent care notices only.
 */
export function emergencyContactOf(
  rows: readonly { id: string; email: string | null; phone: string }[],
): RecipientContact | null {
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    role: 'user',
    status: 'active',
    email: row.email,
    mobileNumber: row.phone,
    preferredLanguage: null,
    timeZone: null,
  };
}

/**
 * The push tokens of the active account an emergency contact is (the same verified email address or
 * mobile number), for a batch: a contact who is a user is reached on their devices too.
 */
export function emergencyContactDevicesQuery(ctx: ServiceContext, contactId: string) {
  const same = sql`exists (select 1 from ${emergencyContacts} ec where ec.id = ${contactId} and ((ec.email is not null and ec.email = ${users.email} and ${users.emailVerifiedAt} is not null) or (ec.phone = ${users.mobileNumber} and ${users.mobileVerifiedAt} is not null)))`;
  return ctx.db
    .select({ token: deviceTokens.token })
    .from(deviceTokens)
    .innerJoin(users, eq(users.id, deviceTokens.userId))
    .where(and(eq(users.status, 'active'), same));
}
