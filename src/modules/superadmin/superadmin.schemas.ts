import { z } from '@hono/zod-openapi';
import { ADMIN_SUB_ROLES, ROLES, USER_STATUSES } from '../../db/schema';
import { PageQuery } from '../../http/openapi';

const EXAMPLE_ID = 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE';

/** An admin or superadmin account as superadmins see it (with the reason of its last status change). */
export const AdminAccountSchema = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    mobileNumber: z.string().nullable(),
    name: z.string(),
    role: z.enum(ROLES),
    subRoles: z.array(z.enum(ADMIN_SUB_ROLES)),
    status: z.enum(USER_STATUSES),
    statusReason: z.string().nullable(),
    emailVerified: z.boolean(),
    mobileVerified: z.boolean(),
    verifiedAt: z.string().nullable(),
    hasPassword: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('AdminAccount', {
    example: {
      id: EXAMPLE_ID,
      email: 'ada.admin@kinwell.health',
      mobileNumber: null,
      name: 'Ada Admin',
      role: 'admin',
      subRoles: ['appointment-manager'],
      status: 'active',
      statusReason: null,
      emailVerified: true,
      mobileVerified: false,
      verifiedAt: null,
      hasPassword: true,
      createdAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type AdminAccountView = z.infer<typeof AdminAccountSchema>;

export const UserIdParam = z.object({
  id: z
    .string()
    .regex(/^usr_[0-9A-Z]{26}$/, 'Not a user id')
    .openapi({ param: { name: 'id', in: 'path' }, example: EXAMPLE_ID }),
});

export const ListAdminsQuery = PageQuery.extend({
  status: z.enum(USER_STATUSES).optional().openapi({ example: 'pending' }),
  role: z.enum(['admin', 'superadmin']).optional().openapi({ example: 'admin' }),
  search: z.string().trim().min(1).max(100).optional().openapi({ description: 'Part of the name or email' }),
});

const Reason = z.string().trim().min(3, 'Give a reason (at least 3 characters)').max(500);

export const ReasonBody = z
  .object({ reason: Reason })
  .openapi('AdminActionReason', { example: { reason: 'Could not verify employment with the clinic' } });

export const GrantAdminBody = z
  .object({
    subRoles: z
      .array(z.enum(ADMIN_SUB_ROLES))
      .max(ADMIN_SUB_ROLES.length)
      .optional()
      .openapi({ description: 'Sub-roles of the new admin (none when left out)' }),
  })
  .openapi('GrantAdminBody', { example: { subRoles: ['appointment-manager', 'support-agent'] } });
