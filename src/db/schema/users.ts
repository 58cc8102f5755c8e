import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const ROLES = ['user', 'doctor', 'caregiver', 'receptionist', 'admin', 'superadmin'] as const;
export type Role = (typeof ROLES)[number];

/** Roles whose credentials an admin verifies (`verifiedAt`) before they may work. */
export const PROFESSIONAL_ROLES: readonly Role[] = ['doctor', 'caregiver'];

export const ADMIN_SUB_ROLES = ['appointment-manager', 'content-manager', 'support-agent'] as const;
export type AdminSubRole = (typeof ADMIN_SUB_ROLES)[number];

export const USER_STATUSES = ['active', 'pending', 'inactive', 'blocked', 'removed'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/**
 * People. `email` and `mobile_number` are each unique when present (a mobile-OTP signup has no email).
 * Timestamps are epoch milliseconds UTC everywhere in the schema.
 */
export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').unique(),
    mobileNumber: text('mobile_number').unique(),
    name: text('name').notNull(),
    passwordHash: text('password_hash'),
    role: text('role', { enum: ROLES }).notNull().default('user'),
    /** JSON array of AdminSubRole; meaningful for admins only. */
    subRoles: text('sub_roles', { mode: 'json' }).$type<AdminSubRole[]>().notNull().default(sql`'[]'`),
    status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
    /** For doctors and caregivers: set when an admin verifies their credentials. */
    verifiedAt: integer('verified_at'),
    emailVerifiedAt: integer('email_verified_at'),
    mobileVerifiedAt: integer('mobile_verified_at'),
    /** Google account subject, once the user signs in with Google. */
    googleSub: text('google_sub').unique(),
    /** Facebook's app-scoped user id, for an account created by Facebook sign-in. */
    facebookId: text('facebook_id').unique(),
    /** Why an admin blocked or deactivated the account (shown to admins, not to the user). */
    statusReason: text('status_reason'),
    /** Set when the account was erased (self-deletion); personal fields are blanked at the same time. */
    deletedAt: integer('deleted_at'),
    /** Bumped to revoke every access token issued before (password change, block, logout-all). */
    tokenVersion: integer('token_version').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('users_role_status_idx').on(t.role, t.status),
    // The stats rollups: registrations per day and role.
    index('users_created_idx').on(t.createdAt, t.role),
  ],
);

export type UserRow = typeof users.$inferSelect;

export const GENDERS = ['female', 'male', 'non-binary', 'other', 'prefer-not-to-say'] as const;
export const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const;

export interface PostalAddress {
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode?: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** Personal and health details of an account, one row per user, created on first update. */
export const userProfiles = sqliteTable('user_profiles', {
  userId: text('user_id').primaryKey(),
  /** ISO date `YYYY-MM-DD`. */
  dateOfBirth: text('date_of_birth'),
  gender: text('gender', { enum: GENDERS }),
  address: text('address', { mode: 'json' }).$type<PostalAddress>(),
  bloodGroup: text('blood_group', { enum: BLOOD_GROUPS }),
  allergies: text('allergies', { mode: 'json' }).$type<string[]>(),
  /** BCP 47 tag, e.g. `en`, `pt-BR`. */
  preferredLanguage: text('preferred_language'),
  /** IANA time zone, e.g. `Europe/Lisbon`. */
  timeZone: text('time_zone'),
  avatarFileId: text('avatar_file_id'),
  updatedAt: integer('updated_at').notNull(),
});

/** People to alert in an emergency (home-care status alerts use them). */
export const emergencyContacts = sqliteTable(
  'emergency_contacts',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    relationship: text('relationship').notNull(),
    /** E.164. */
    phone: text('phone').notNull(),
    email: text('email'),
    isPrimary: integer('is_primary', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('emergency_contacts_user_idx').on(t.userId)],
);

export const DEPENDENT_RELATIONSHIPS = ['child', 'parent', 'spouse', 'sibling', 'grandparent', 'other'] as const;

/** People a user manages health schedules for (children, elderly parents). */
export const dependents = sqliteTable(
  'dependents',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    dateOfBirth: text('date_of_birth').notNull(),
    relationship: text('relationship', { enum: DEPENDENT_RELATIONSHIPS }).notNull(),
    gender: text('gender', { enum: GENDERS }),
    notes: text('notes'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('dependents_user_idx').on(t.userId)],
);

export const DEVICE_PLATFORMS = ['ios', 'android', 'web'] as const;

/** FCM registration tokens for push; a token belongs to one user at a time. */
export const deviceTokens = sqliteTable(
  'device_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    token: text('token').notNull().unique(),
    platform: text('platform', { enum: DEVICE_PLATFORMS }).notNull(),
    deviceName: text('device_name'),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
  },
  (t) => [index('device_tokens_user_idx').on(t.userId)],
);

export const NOTIFICATION_CHANNELS = ['in-app', 'email', 'sms', 'push'] as const;
export const NOTIFICATION_KINDS = ['appointments', 'reminders', 'medication', 'system', 'marketing'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Opt-outs and opt-ins per channel and kind; a missing row means the default (see users service). */
export const notificationPreferences = sqliteTable(
  'notification_preferences',
  {
    userId: text('user_id').notNull(),
    channel: text('channel', { enum: NOTIFICATION_CHANNELS }).notNull(),
    kind: text('kind', { enum: NOTIFICATION_KINDS }).notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.channel, t.kind] })],
);

export type UserProfileRow = typeof userProfiles.$inferSelect;
export type EmergencyContactRow = typeof emergencyContacts.$inferSelect;
export type DependentRow = typeof dependents.$inferSelect;
export type DeviceTokenRow = typeof deviceTokens.$inferSelect;
