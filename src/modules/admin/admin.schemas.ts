import { z } from '@hono/zod-openapi';
import { ADMIN_SUB_ROLES, ROLES, USER_STATUSES } from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { EmailSchema, MobileNumberSchema } from '../auth/auth.schemas';
import { UserSchema } from '../users/users.schemas';
import { CREATABLE_ROLES } from './admin.policy';

const EXAMPLE_ID = 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE';

const ADMIN_USER_EXAMPLE = {
  id: EXAMPLE_ID,
  email: 'dr.rivera@kinwell.local',
  mobileNumber: '+14155550123',
  name: 'Dr. Ana Rivera',
  role: 'doctor' as const,
  subRoles: [],
  status: 'active' as const,
  emailVerified: true,
  mobileVerified: false,
  verifiedAt: '2026-01-15T10:30:00.000Z',
  hasPassword: true,
  createdAt: '2026-01-15T10:30:00.000Z',
  statusReason: null,
  lastSignInAt: '2026-01-16T08:02:11.000Z',
  updatedAt: '2026-01-15T10:30:00.000Z',
};

export const UserIdParam = z.object({
  id: z
    .string()
    .regex(/^usr_[0-9A-Z]{26}$/, 'Not a user id')
    .openapi({ param: { name: 'id', in: 'path' }, example: EXAMPLE_ID }),
});

/** Why an admin acted; required where the user loses access. */
export const ReasonSchema = z
  .string()
  .trim()
  .min(3, 'Give a reason of at least 3 characters')
  .max(500, 'Keep the reason under 500 characters')
  .openapi({ example: 'Repeated no-shows reported by three doctors' });

const SubRolesSchema = z
  .array(z.enum(ADMIN_SUB_ROLES))
  .max(ADMIN_SUB_ROLES.length)
  .refine((roles) => new Set(roles).size === roles.length, 'Sub-roles must not repeat')
  .openapi({ example: ['support-agent'] });

export const AdminUserSchema = UserSchema.extend({
  /** Why an admin blocked or deactivated the account. */
  statusReason: z.string().nullable(),
  /** When the account last started a session (sign-in), if ever. */
  lastSignInAt: z.string().nullable(),
  updatedAt: z.string(),
}).openapi('AdminUser', { example: ADMIN_USER_EXAMPLE });

export type AdminUserView = z.infer<typeof AdminUserSchema>;

export const AdminUserResultSchema = z
  .object({ user: AdminUserSchema })
  .openapi('AdminUserResult', { example: { user: ADMIN_USER_EXAMPLE } });

const Instant = z.iso.datetime({ offset: true });

export const AdminUserListQuery = PageQuery.extend({
  search: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: 'Part of the name, email or mobile number (case-insensitive)', example: 'rivera' }),
  role: z.enum(ROLES).optional(),
  status: z.enum(USER_STATUSES).optional(),
  verified: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({
      description: 'Doctors and caregivers: credentials verified (verifiedAt); everyone else: email verified',
      example: 'true',
    }),
  createdFrom: Instant.optional().openapi({ description: 'Created at or after', example: '2026-01-01T00:00:00Z' }),
  createdTo: Instant.optional().openapi({ description: 'Created before', example: '2026-02-01T00:00:00Z' }),
  sort: z.enum(['createdAt', 'name']).default('createdAt').openapi({ example: 'createdAt' }),
  order: z
    .enum(['asc', 'desc'])
    .optional()
    .openapi({ description: 'Default: newest first for createdAt, A→Z for name', example: 'desc' }),
}).refine((q) => !q.createdFrom || !q.createdTo || Date.parse(q.createdFrom) <= Date.parse(q.createdTo), {
  message: 'createdFrom must not be after createdTo',
  path: ['createdFrom'],
});

export type AdminUserListInput = z.output<typeof AdminUserListQuery>;

export const CreateUserBody = z
  .object({
    email: EmailSchema,
    name: z.string().trim().min(1).max(120).openapi({ example: 'Dr. Ana Rivera' }),
    mobileNumber: MobileNumberSchema.optional(),
    role: z.enum(CREATABLE_ROLES),
    subRoles: SubRolesSchema.optional().openapi({ description: 'Admins only' }),
  })
  .refine((v) => v.role === 'admin' || !v.subRoles?.length, {
    message: 'Only admin accounts have sub-roles',
    path: ['subRoles'],
  })
  .openapi('AdminCreateUserInput', {
    example: { email: 'dr.rivera@kinwell.local', name: 'Dr. Ana Rivera', role: 'doctor' },
  });

export type CreateUserInput = z.output<typeof CreateUserBody>;

export const CreatedUserSchema = z
  .object({
    user: AdminUserSchema,
    invitation: z.object({
      sent: z.boolean().openapi({ description: 'False when the email could not be sent (use password/forgot)' }),
      expiresIn: z.number().int().openapi({ description: 'Seconds the invitation code stays valid' }),
    }),
  })
  .openapi('AdminCreatedUser', {
    example: {
      user: { ...ADMIN_USER_EXAMPLE, hasPassword: false, lastSignInAt: null },
      invitation: { sent: true, expiresIn: 259_200 },
    },
  });

export const StatusBody = z
  .object({
    action: z.enum(['activate', 'deactivate', 'block', 'unblock']),
    reason: ReasonSchema.optional(),
  })
  .refine((v) => (v.action !== 'block' && v.action !== 'deactivate') || v.reason !== undefined, {
    message: 'A reason is required to block or deactivate an account',
    path: ['reason'],
  })
  .openapi('AdminStatusInput', { example: { action: 'block', reason: 'Abusive messages to support staff' } });

export const SubRolesBody = z
  .object({ subRoles: SubRolesSchema })
  .openapi('AdminSubRolesInput', { example: { subRoles: ['appointment-manager', 'support-agent'] } });

export const DeleteBody = z
  .object({ reason: ReasonSchema.optional() })
  .openapi('AdminDeleteInput', { example: { reason: 'Duplicate account requested by the user' } });

export const LoggedOutSchema = z
  .object({ id: z.string(), sessionsRevoked: z.number().int() })
  .openapi('AdminLoggedOut', { example: { id: EXAMPLE_ID, sessionsRevoked: 2 } });

export const DeletedUserSchema = z
  .object({ id: z.string(), filesDeleted: z.number().int() })
  .openapi('AdminDeletedUser', { example: { id: EXAMPLE_ID, filesDeleted: 3 } });

export const BULK_ACTIONS = ['activate', 'deactivate', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export const BulkBody = z
  .object({
    action: z.enum(BULK_ACTIONS),
    ids: z
      .array(UserIdParam.shape.id)
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'Ids must not repeat'),
    reason: ReasonSchema.optional(),
  })
  .refine((v) => v.action !== 'deactivate' || v.reason !== undefined, {
    message: 'A reason is required to deactivate accounts',
    path: ['reason'],
  })
  .openapi('AdminBulkInput', {
    example: {
      action: 'deactivate',
      ids: [EXAMPLE_ID, 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF'],
      reason: 'Clinic closed',
    },
  });

export type BulkInput = z.output<typeof BulkBody>;

export const BULK_FAILURE_CODES = ['NOT_FOUND', 'FORBIDDEN', 'INVALID_TRANSITION', 'CONFLICT', 'INTERNAL'] as const;
export type BulkFailureCode = (typeof BULK_FAILURE_CODES)[number];

const BulkItemSchema = z.union([
  z.object({ id: z.string(), ok: z.literal(true) }),
  z.object({ id: z.string(), ok: z.literal(false), code: z.enum(BULK_FAILURE_CODES), message: z.string() }),
]);

export type BulkItem = z.infer<typeof BulkItemSchema>;

export const BulkResultSchema = z
  .object({
    action: z.enum(BULK_ACTIONS),
    results: z.array(BulkItemSchema),
    counts: z.object({ requested: z.number().int(), succeeded: z.number().int(), failed: z.number().int() }),
  })
  .openapi('AdminBulkResult', {
    example: {
      action: 'deactivate',
      results: [
        { id: EXAMPLE_ID, ok: true },
        {
          id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
          ok: false,
          code: 'FORBIDDEN',
          message: 'Only superadmins manage admin accounts',
        },
      ],
      counts: { requested: 2, succeeded: 1, failed: 1 },
    },
  });
