import { and, asc, desc, eq, ne, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../context';
import { type BatchResults, batchOf, runBatch, type Statements } from '../../db/batch';
import { paginate } from '../../db/paginate';
import {
  type EmergencyContactRow,
  emergencyContacts,
  type UserProfileRow,
  type UserRow,
  userProfiles,
  users,
} from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { toE164 } from '../../lib/phone';
import { iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { avatarQuery, avatarViewOfRows } from './avatar.service';
import { ownPhoneRegion } from './phone-region';
import { canonicalLanguage, canonicalTimeZone, isFutureDate, profileCompleteness } from './profile.policy';
import type {
  CreateContactInput,
  EmergencyContactView,
  ProfileView,
  UpdateContactInput,
  UpdateMeInput,
  UserView,
} from './users.schemas';
import { toUserView } from './users.service';

/** A user keeps at most this many emergency contacts. */
export const MAX_EMERGENCY_CONTACTS = 10;

export function toContactView(row: EmergencyContactRow): EmergencyContactView {
  return {
    id: row.id,
    name: row.name,
    relationship: row.relationship,
    phone: row.phone,
    email: row.email,
    isPrimary: row.isPrimary,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** Primary first, then oldest first. */
const CONTACT_ORDER = [desc(emergencyContacts.isPrimary), asc(emergencyContacts.createdAt), asc(emergencyContacts.id)];

/** The profile fields a user edits, as stored (everything but the avatar pointer). */
const PROFILE_FIELDS = [
  'dateOfBirth',
  'gender',
  'address',
  'bloodGroup',
  'allergies',
  'preferredLanguage',
  'timeZone',
] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];
type ProfileValues = Pick<UserProfileRow, ProfileField>;

/** The reads of an account and its profile, by name, for one `batchOf` read batch. */
function accountReads(ctx: AuthedContext, userId: string) {
  return {
    user: ctx.db.select().from(users).where(eq(users.id, userId)),
    profile: ctx.db.select().from(userProfiles).where(eq(userProfiles.userId, userId)),
    contacts: ctx.db
      .select()
      .from(emergencyContacts)
      .where(eq(emergencyContacts.userId, userId))
      .orderBy(...CONTACT_ORDER)
      .limit(MAX_EMERGENCY_CONTACTS),
    avatar: avatarQuery(ctx, userId),
  };
}

type AccountRows = BatchResults<ReturnType<typeof accountReads>>;

/** What GET /users/me answers, from the rows `accountReads` read (with any changes already applied). */
async function accountView(
  ctx: AuthedContext,
  user: UserRow,
  profile: Partial<ProfileValues> | undefined,
  read: AccountRows,
  origin: string,
): Promise<{ user: UserView; profile: ProfileView }> {
  const view = {
    dateOfBirth: profile?.dateOfBirth ?? null,
    gender: profile?.gender ?? null,
    address: profile?.address ?? null,
    bloodGroup: profile?.bloodGroup ?? null,
    allergies: profile?.allergies ?? null,
    preferredLanguage: profile?.preferredLanguage ?? null,
    timeZone: profile?.timeZone ?? null,
    emergencyContacts: read.contacts.map(toContactView),
    avatar: await avatarViewOfRows(ctx, read.avatar, origin),
  };
  return { user: toUserView(user), profile: { ...view, completeness: profileCompleteness(view) } };
}

/** The signed-in caller's account and profile: what GET /users/me answers, in one round trip. */
export async function getMyAccount(
  ctx: AuthedContext,
  origin: string,
): Promise<{ user: UserView; profile: ProfileView }> {
  const read = await batchOf(ctx.db, accountReads(ctx, ctx.actor.id));
  const [user] = read.user;
  if (!user) throw notFound('User');
  return accountView(ctx, user, read.profile[0], read, origin);
}

/** The input in its stored form: canonical language and zone tags, allergies without duplicates. */
function normalize(input: UpdateMeInput, now: Date): Partial<ProfileValues> {
  if (input.dateOfBirth && isFutureDate(input.dateOfBirth, now)) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'dateOfBirth', message: 'Date of birth cannot be in the future' }],
    });
  }
  const values: Partial<ProfileValues> = {};
  for (const field of PROFILE_FIELDS) {
    if (input[field] !== undefined) (values as Record<string, unknown>)[field] = input[field];
  }
  if (input.preferredLanguage) values.preferredLanguage = canonicalLanguage(input.preferredLanguage);
  if (input.timeZone) values.timeZone = canonicalTimeZone(input.timeZone);
  if (input.allergies) values.allergies = [...new Set(input.allergies)];
  return values;
}

/** The job enqueued when a person's profile zone changes (`{ userId }`); src/jobs/queue.ts routes it. */
export const TIME_ZONE_CHANGED = 'users.time-zone-changed';

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Updates the caller's name and profile (`null` clears a field) and answers the fresh account. Only
 * fields whose value changes are written; the audit event names them without their values, since they
 * are health data.
 * @throws AppError VALIDATION_FAILED (birth date in the future)
 */
export async function updateMe(ctx: AuthedContext, input: UpdateMeInput, origin: string) {
  const userId = ctx.actor.id;
  const values = normalize(input, ctx.clock.now());
  const now = ctx.clock.now().getTime();
  const read = await batchOf(ctx.db, accountReads(ctx, userId));
  const [user] = read.user;
  if (!user) throw notFound('User');
  const [profile] = read.profile;
  const changed: Partial<ProfileValues> = {};
  for (const field of PROFILE_FIELDS) {
    if (field in values && !same(values[field], profile?.[field])) {
      (changed as Record<string, unknown>)[field] = values[field];
    }
  }
  const nameChanged = input.name !== undefined && input.name !== user.name;
  const fields = [...(nameChanged ? ['name'] : []), ...Object.keys(changed)];
  if (!fields.length) return accountView(ctx, user, profile, read, origin);
  const statements: Statements = [
    auditInsert(ctx, {
      action: 'user.profile_update',
      resourceType: 'user',
      resourceId: userId,
      patientId: userId,
      metadata: { fields },
    }),
  ];
  if (nameChanged) {
    statements.push(ctx.db.update(users).set({ name: input.name!, updatedAt: now }).where(eq(users.id, userId)));
  }
  if (Object.keys(changed).length) {
    statements.push(
      ctx.db
        .insert(userProfiles)
        .values({ userId, ...changed, updatedAt: now })
        .onConflictDoUpdate({ target: userProfiles.userId, set: { ...changed, updatedAt: now } }),
    );
  }
  await runBatch(ctx.db, statements);
  // Modules that keep times in this person's zone (vaccine reminders at 08:00 local) re-time them from
  // the queue, after the response: they sit above this module, which must not call them.
  if ('timeZone' in changed) {
    ctx.defer(ctx.ports.jobs.enqueue([{ type: TIME_ZONE_CHANGED, payload: { userId } }]));
  }
  // The answer is the rows read with the changes just written: no read after the write.
  const written = nameChanged ? { ...user, name: input.name!, updatedAt: now } : user;
  return accountView(ctx, written, { ...profile, ...changed }, read, origin);
}

// ---- emergency contacts ---------------------------------------------------------------------------

/** A contact of the caller; another user's contact is NOT_FOUND, as if it did not exist. */
async function ownedContact(ctx: AuthedContext, id: string): Promise<EmergencyContactRow> {
  const row = await ctx.db
    .select()
    .from(emergencyContacts)
    .where(and(eq(emergencyContacts.id, id), eq(emergencyContacts.userId, ctx.actor.id)))
    .get();
  if (!row) throw notFound('Emergency contact');
  return row;
}

/** Makes every other contact of `userId` non-primary, only if `keepId` exists (it may not have been inserted). */
function unsetOtherPrimaries(ctx: ServiceContext, userId: string, keepId: string, now: number) {
  return ctx.db
    .update(emergencyContacts)
    .set({ isPrimary: false, updatedAt: now })
    .where(
      and(
        eq(emergencyContacts.userId, userId),
        ne(emergencyContacts.id, keepId),
        eq(emergencyContacts.isPrimary, true),
        sql`exists (select 1 from ${emergencyContacts} where ${emergencyContacts.id} = ${keepId})`,
      ),
    );
}

export async function listContacts(ctx: AuthedContext, query: { page: number; limit: number }) {
  return paginate(ctx.db, emergencyContacts, {
    where: eq(emergencyContacts.userId, ctx.actor.id),
    orderBy: CONTACT_ORDER,
    page: query.page,
    limit: query.limit,
    map: toContactView,
  });
}

/**
 * Adds an emergency contact (phone stored as E.164; a national number is read in `ownPhoneRegion`,
 * which costs one read batch). The cap is enforced inside the insert itself, so concurrent requests
 * cannot pass it; the audit row and a new primary's unsetting of the others go in the same batch.
 * @throws AppError VALIDATION_FAILED (phone), CONFLICT (already MAX_EMERGENCY_CONTACTS)
 */
export async function createContact(ctx: AuthedContext, input: CreateContactInput): Promise<EmergencyContactView> {
  const userId = ctx.actor.id;
  const region = await ownPhoneRegion(ctx, input.phone);
  const now = ctx.clock.now().getTime();
  const row: EmergencyContactRow = {
    id: ctx.ids.id('emc'),
    userId,
    name: input.name,
    relationship: input.relationship,
    phone: toE164(input.phone, { field: 'phone', region }),
    email: input.email ?? null,
    isPrimary: input.isPrimary ?? false,
    createdAt: now,
    updatedAt: now,
  };
  // The cap is checked inside the insert: `insert … select … where count < cap` (columns in table order).
  // The audit row, just before it, holds to the same condition: written exactly when the insert is.
  const belowCap = sql`(select count(*) from ${emergencyContacts} where ${emergencyContacts.userId} = ${userId}) < ${MAX_EMERGENCY_CONTACTS}`;
  const audit = auditInsert(
    ctx,
    { action: 'user.emergency_contact_create', resourceType: 'emergency-contact', resourceId: row.id },
    { guard: { where: belowCap } },
  );
  const insert = ctx.db.insert(emergencyContacts).select(
    sql`select ${row.id}, ${userId}, ${row.name}, ${row.relationship}, ${row.phone}, ${row.email},
      ${row.isPrimary ? 1 : 0}, ${now}, ${now}
    where ${belowCap}`,
  );
  const [, inserted] = row.isPrimary
    ? await ctx.db.batch([audit, insert, unsetOtherPrimaries(ctx, userId, row.id, now)])
    : await ctx.db.batch([audit, insert]);
  if (!inserted.meta.changes) {
    throw new AppError('CONFLICT', `You can keep at most ${MAX_EMERGENCY_CONTACTS} emergency contacts`);
  }
  return toContactView(row);
}

/**
 * Changes a contact; making it primary unsets the others in the same batch.
 * @throws AppError NOT_FOUND (not the caller's), VALIDATION_FAILED (phone)
 */
export async function updateContact(
  ctx: AuthedContext,
  id: string,
  input: UpdateContactInput,
): Promise<EmergencyContactView> {
  // A national number's region is read beside the contact: the same round trip.
  const [current, region] = await Promise.all([ownedContact(ctx, id), ownPhoneRegion(ctx, input.phone)]);
  const now = ctx.clock.now().getTime();
  const next: EmergencyContactRow = {
    ...current,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.relationship !== undefined ? { relationship: input.relationship } : {}),
    ...(input.phone !== undefined ? { phone: toE164(input.phone, { field: 'phone', region }) } : {}),
    ...(input.email !== undefined ? { email: input.email } : {}),
    ...(input.isPrimary !== undefined ? { isPrimary: input.isPrimary } : {}),
    updatedAt: now,
  };
  const { id: _id, userId, createdAt: _createdAt, ...set } = next;
  const statements: BatchItem<'sqlite'>[] = [
    ctx.db
      .update(emergencyContacts)
      .set(set)
      .where(and(eq(emergencyContacts.id, id), eq(emergencyContacts.userId, userId))),
    auditInsert(ctx, {
      action: 'user.emergency_contact_update',
      resourceType: 'emergency-contact',
      resourceId: id,
      metadata: { fields: Object.keys(input) },
    }),
  ];
  if (input.isPrimary) statements.push(unsetOtherPrimaries(ctx, userId, id, now));
  await ctx.db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  return toContactView(next);
}

/** @throws AppError NOT_FOUND (not the caller's) */
export async function deleteContact(ctx: AuthedContext, id: string): Promise<void> {
  const current = await ownedContact(ctx, id);
  await ctx.db.batch([
    ctx.db
      .delete(emergencyContacts)
      .where(and(eq(emergencyContacts.id, current.id), eq(emergencyContacts.userId, current.userId))),
    auditInsert(ctx, { action: 'user.emergency_contact_delete', resourceType: 'emergency-contact', resourceId: id }),
  ]);
}
