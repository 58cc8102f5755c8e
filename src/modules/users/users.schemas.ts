import { z } from '@hono/zod-openapi';
import { ADMIN_SUB_ROLES, BLOOD_GROUPS, GENDERS, ROLES, USER_STATUSES } from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { canonicalLanguage, canonicalTimeZone, isCountryCode } from './profile.policy';

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

// ---- profile -------------------------------------------------------------------------------------

export const AvatarSchema = z
  .object({
    fileId: z.string(),
    url: z.string().openapi({ description: 'Signed URL usable without a token until `expiresAt`' }),
    expiresAt: z.string(),
  })
  .openapi('Avatar', {
    example: {
      fileId: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      url: 'https://api.kinwell.app/api/v1/avatars/fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE?expires=1768477800&signature=3f1c…',
      expiresAt: '2026-01-15T11:30:00.000Z',
    },
  });

const ADDRESS_EXAMPLE = { line1: 'Rua Augusta 100', city: 'Lisboa', postalCode: '1100-053', country: 'PT' };

export const PostalAddressSchema = z
  .object({
    line1: z.string().trim().min(1).max(200),
    line2: z.string().trim().min(1).max(200).optional(),
    city: z.string().trim().min(1).max(100),
    region: z.string().trim().min(1).max(100).optional(),
    postalCode: z.string().trim().min(1).max(20).optional(),
    country: z
      .string()
      .trim()
      .toUpperCase()
      .refine(isCountryCode, 'Use an ISO 3166-1 alpha-2 country code, e.g. PT')
      .openapi({ description: 'ISO 3166-1 alpha-2', example: 'PT' }),
  })
  .strict()
  .openapi('PostalAddress', { example: ADDRESS_EXAMPLE });

export const EmergencyContactSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    relationship: z.string(),
    phone: z.string().openapi({ description: 'E.164' }),
    email: z.string().nullable(),
    isPrimary: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('EmergencyContact', {
    example: {
      id: 'emc_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      name: 'Maria Silva',
      relationship: 'daughter',
      phone: '+351912345678',
      email: 'maria@example.com',
      isPrimary: true,
      createdAt: '2026-01-15T10:30:00.000Z',
      updatedAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type EmergencyContactView = z.infer<typeof EmergencyContactSchema>;

export const ProfileSchema = z
  .object({
    dateOfBirth: z.string().nullable().openapi({ description: 'ISO date' }),
    gender: z.enum(GENDERS).nullable(),
    address: PostalAddressSchema.nullable(),
    bloodGroup: z.enum(BLOOD_GROUPS).nullable(),
    allergies: z.array(z.string()).nullable(),
    preferredLanguage: z.string().nullable().openapi({ description: 'BCP 47 tag' }),
    timeZone: z.string().nullable().openapi({ description: 'IANA time zone' }),
    emergencyContacts: z.array(EmergencyContactSchema),
    avatar: AvatarSchema.nullable(),
    completeness: z
      .object({
        score: z.number().int().min(0).max(100),
        missing: z.array(z.string()).openapi({ description: 'The profile fields still empty, in screen order' }),
      })
      .openapi({ description: 'How complete the profile is (shown to its owner)' }),
  })
  .openapi('Profile', {
    example: {
      dateOfBirth: '1984-03-09',
      gender: 'female',
      address: ADDRESS_EXAMPLE,
      bloodGroup: 'O+',
      allergies: ['penicillin'],
      preferredLanguage: 'pt-PT',
      timeZone: 'Europe/Lisbon',
      emergencyContacts: [],
      avatar: null,
      completeness: { score: 78, missing: ['emergencyContacts', 'avatar'] },
    },
  });

export type ProfileView = z.infer<typeof ProfileSchema>;

export const MeSchema = z.object({ user: UserSchema, profile: ProfileSchema }).openapi('Me');

const EARLIEST_BIRTH_DATE = '1900-01-01';

/** PATCH /users/me: the caller's name and profile. Unknown keys (role, status, email…) are refused. */
export const UpdateMeBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    dateOfBirth: z.iso
      .date('Use an ISO date, YYYY-MM-DD')
      .refine((d) => d >= EARLIEST_BIRTH_DATE, 'Date of birth cannot be before 1900')
      .nullable(),
    gender: z.enum(GENDERS).nullable(),
    address: PostalAddressSchema.nullable(),
    bloodGroup: z.enum(BLOOD_GROUPS).nullable(),
    allergies: z.array(z.string().trim().min(1).max(100)).max(50).nullable(),
    preferredLanguage: z
      .string()
      .trim()
      .max(35)
      .refine((v) => canonicalLanguage(v) !== null, 'Use a BCP 47 language tag, e.g. en or pt-BR')
      .nullable(),
    timeZone: z
      .string()
      .trim()
      .max(64)
      .refine((v) => canonicalTimeZone(v) !== null, 'Use an IANA time zone, e.g. Europe/Lisbon')
      .nullable(),
  })
  .partial()
  .strict()
  .openapi('UpdateMeInput', {
    description: 'Send only the fields to change; `null` clears a field.',
    example: { name: 'Pat Patient', dateOfBirth: '1984-03-09', timeZone: 'Europe/Lisbon', allergies: ['penicillin'] },
  });

export type UpdateMeInput = z.infer<typeof UpdateMeBody>;

// ---- email and mobile changes ---------------------------------------------------------------------

const EmailInput = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Enter a valid email address' }))
  .openapi({ example: 'new.address@example.com' });

const OtpInput = z
  .string()
  .regex(/^\d{6}$/, 'The code is 6 digits')
  .openapi({ example: '123456' });

const PasswordInput = z.string().min(1).max(256).openapi({ example: 'Kinwell-dev-2026!' });

const MobileInput = z.string().trim().min(4).max(32).openapi({
  description:
    "International format, or national format read in the region of the caller's profile address country, else of the setting phone.defaultRegion; stored as E.164",
  example: '+14155550123',
});

export const EmailChangeBody = z
  .object({
    newEmail: EmailInput,
    password: PasswordInput.optional().openapi({ description: 'Required when the account has a password' }),
  })
  .openapi('EmailChangeInput', { example: { newEmail: 'new.address@example.com', password: 'Kinwell-dev-2026!' } });

export const EmailConfirmBody = z
  .object({ newEmail: EmailInput, otp: OtpInput })
  .openapi('EmailConfirmInput', { example: { newEmail: 'new.address@example.com', otp: '123456' } });

export const MobileChangeBody = z
  .object({
    mobileNumber: MobileInput,
    password: PasswordInput.optional().openapi({ description: 'Required when the account has a password' }),
  })
  .openapi('MobileChangeInput', { example: { mobileNumber: '+14155550123', password: 'Kinwell-dev-2026!' } });

export const MobileConfirmBody = z
  .object({ mobileNumber: MobileInput, otp: OtpInput })
  .openapi('MobileConfirmInput', { example: { mobileNumber: '+14155550123', otp: '123456' } });

export const ChangeCodeSentSchema = z
  .object({
    expiresIn: z.number().int().openapi({ description: 'Seconds the code lives', example: 600 }),
    resendAfter: z.number().int().openapi({ description: 'Seconds before another code may be sent', example: 60 }),
  })
  .openapi('ChangeCodeSent', { example: { expiresIn: 600, resendAfter: 60 } });

export const UserOnlySchema = z.object({ user: UserSchema }).openapi('UserOnly');

// ---- account deletion -----------------------------------------------------------------------------

export const DeletionCodeSentSchema = ChangeCodeSentSchema.extend({
  channel: z.enum(['email', 'sms']),
}).openapi('DeletionCodeSent', { example: { channel: 'email', expiresIn: 600, resendAfter: 60 } });

export const DeleteMeBody = z
  .object({
    password: PasswordInput.optional().openapi({ description: 'Accounts with a password' }),
    otp: OtpInput.optional().openapi({ description: 'Accounts without a password: the code from deletion-code' }),
  })
  .strict()
  .openapi('DeleteMeInput', { example: { password: 'Kinwell-dev-2026!' } });

export const DeletedAccountSchema = z
  .object({ id: z.string() })
  .openapi('DeletedAccount', { example: { id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } });

// ---- emergency contacts ---------------------------------------------------------------------------

const contactFields = {
  name: z.string().trim().min(1).max(100),
  relationship: z.string().trim().min(1).max(50),
  phone: z.string().trim().min(4).max(32).openapi({
    description:
      "International format, or national format read in the region of the caller's profile address country, else of the setting phone.defaultRegion; stored as E.164",
  }),
  email: EmailInput.nullable(),
  isPrimary: z.boolean().openapi({ description: 'Making a contact primary makes the others not primary' }),
};

export const CreateContactBody = z
  .object({
    ...contactFields,
    email: contactFields.email.optional(),
    isPrimary: contactFields.isPrimary.optional(),
  })
  .strict()
  .openapi('EmergencyContactInput', {
    example: { name: 'Maria Silva', relationship: 'daughter', phone: '+351912345678', isPrimary: true },
  });

export const UpdateContactBody = z
  .object(contactFields)
  .partial()
  .strict()
  .openapi('EmergencyContactUpdate', { example: { phone: '+351912345678', isPrimary: true } });

export const DeletedContactSchema = z
  .object({ id: z.string() })
  .openapi('DeletedEmergencyContact', { example: { id: 'emc_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } });

export type CreateContactInput = z.infer<typeof CreateContactBody>;
export type UpdateContactInput = z.infer<typeof UpdateContactBody>;

export const ContactIdParam = z.object({
  id: z
    .string()
    .regex(/^emc_[0-9A-Z]{26}$/, 'Not an emergency contact id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'emc_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

export const ContactListQuery = PageQuery;

// ---- avatars --------------------------------------------------------------------------------------

export const AvatarUploadBody = z
  .object({
    file: z
      .instanceof(File, { message: 'Attach the image in the "file" field' })
      .openapi({ type: 'string', format: 'binary', example: '(JPEG, PNG or WebP bytes, at most 5 MiB)' }),
  })
  .openapi('AvatarUpload');

export const SignedAvatarUrlSchema = z.object({ url: z.string(), expiresAt: z.string() }).openapi('SignedAvatarUrl', {
  example: {
    url: 'https://api.kinwell.app/api/v1/avatars/fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE?expires=1768477800&signature=3f1c…',
    expiresAt: '2026-01-15T11:30:00.000Z',
  },
});

export const AvatarOnlySchema = z.object({ avatar: AvatarSchema }).openapi('AvatarOnly');

export const UserIdParam = z.object({
  id: z
    .string()
    .regex(/^usr_[0-9A-Z]{26}$/, 'Not a user id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

export const AvatarFileParam = z.object({
  fileId: z
    .string()
    .regex(/^fil_[0-9A-Z]{26}$/, 'Not a file id')
    .openapi({ param: { name: 'fileId', in: 'path' }, example: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

/** The signature is checked by the service: any wrong, expired or malformed value is a plain 404. */
export const SignedAvatarQuery = z.object({
  expires: z.string().max(20).openapi({ description: 'Epoch seconds', example: '1768477800' }),
  signature: z.string().max(128).openapi({ description: 'HMAC-SHA256, hex', example: '3f1c…' }),
});
