import { z } from '@hono/zod-openapi';
import { UserSchema } from '../users/users.schemas';

export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Enter a valid email address' }))
  .openapi({ example: 'patient@kinwell.local' });

/** Any phone number a person would type; normalised to E.164 by the service (422 when invalid). */
export const MobileNumberSchema = z.string().trim().min(4).max(32).openapi({
  description:
    'International format (+ or 00 and the country code), or national format read in the region of the setting phone.defaultRegion (e.g. 9876543210 under IN); stored and answered in E.164. 422 VALIDATION_FAILED names the formats expected.',
  example: '+14155550123',
});

export const OtpSchema = z
  .string()
  .regex(/^\d{6}$/, 'The code is 6 digits')
  .openapi({ example: '123456' });

export const PasswordInputSchema = z.string().min(1).max(256).openapi({ example: 'Kinwell-dev-2026!' });

export const TokensSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().openapi({ description: 'Seconds until the access token expires', example: 900 }),
  })
  .openapi('Tokens');

export const SignInResultSchema = z.object({ user: UserSchema, tokens: TokensSchema }).openapi('SignInResult');

export const ChallengeIdSchema = z
  .string()
  .regex(/^chl_[0-9A-Z]{26}$/, 'Not a challenge id')
  .openapi({ example: 'chl_01JF8ZS5X0V6M3A2Q9K1T7B4CE' });

/** What TWO_FACTOR_REQUIRED carries in `data`. */
export const TwoFactorChallengeSchema = z
  .object({
    challengeId: ChallengeIdSchema,
    methods: z.array(z.enum(['totp', 'email', 'passkey', 'recovery'])),
    expiresAt: z.string(),
  })
  .openapi('TwoFactorChallenge');

export const MessageOnlySchema = z.object({}).openapi('Empty', { example: {} });

/** `{ id }` of a deleted resource. */
export const DeletedSchema = z
  .object({ id: z.string() })
  .openapi('Deleted', { example: { id: 'pk_AbCdEf0123456789' } });
