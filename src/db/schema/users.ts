import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const ROLES = ['user', 'doctor', 'caregiver', 'receptionist', 'admin', 'superadmin'] as const;
export type Role = (typeof ROLES)[number];

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
    /** Bumped to revoke every access token issued before (password change, block, logout-all). */
    tokenVersion: integer('token_version').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('users_role_status_idx').on(t.role, t.status)],
);

export type UserRow = typeof users.$inferSelect;
