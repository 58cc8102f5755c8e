import { z } from '@hono/zod-openapi';
import { ADMIN_SUB_ROLES, ROLES, USER_STATUSES } from '../../db/schema';

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    mobileNumber: z.string().nullable(),
    name: z.string(),
    role: z.enum(ROLES),
    subRoles: z.array(z.enum(ADMIN_SUB_ROLES)),
    status: z.enum(USER_STATUSES),
    emailVerified: z.boolean(),
    mobileVerified: z.boolean(),
    /** Doctors and caregivers: when an admin verified their credentials. */
    verifiedAt: z.string().nullable(),
    hasPassword: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('User', {
    example: {
      id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      email: 'patient@kinwell.local',
      mobileNumber: '+14155550123',
      name: 'Pat Patient',
      role: 'user',
      subRoles: [],
      status: 'active',
      emailVerified: true,
      mobileVerified: false,
      verifiedAt: null,
      hasPassword: true,
      createdAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type UserView = z.infer<typeof UserSchema>;
