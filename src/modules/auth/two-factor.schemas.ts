import { z } from '@hono/zod-openapi';
import { ChallengeIdSchema, OtpSchema } from './auth.schemas';

/** A recovery code as shown to the user (`xxxx-xxxx-xx`); dashes, spaces and case are forgiven. */
export const RecoveryCodeSchema = z
  .string()
  .trim()
  .max(32)
  .regex(/^[0-9A-Za-z][0-9A-Za-z\s-]*$/, 'Not a recovery code')
  .refine((v) => v.replace(/[\s-]/g, '').length === 10, 'Not a recovery code')
  .openapi({ example: 'k7qm-2xfp-9d' });

/** Second factors a user can turn on (recovery codes come with them and are not listed here). */
export const ENABLEABLE_FACTORS = ['totp', 'email', 'passkey'] as const;

export const TwoFactorStatusSchema = z
  .object({
    methods: z.array(z.enum(ENABLEABLE_FACTORS)),
    recoveryCodesRemaining: z.number().int(),
    totpPending: z.boolean().openapi({ description: 'A TOTP secret was set up but not yet confirmed' }),
  })
  .openapi('TwoFactorStatus', { example: { methods: ['totp'], recoveryCodesRemaining: 10, totpPending: false } });

export const TotpSetupSchema = z
  .object({
    secret: z
      .string()
      .openapi({ description: 'Base32 secret, for manual entry', example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }),
    otpauthUrl: z.string().openapi({
      example:
        'otpauth://totp/Kinwell:patient%40kinwell.local?issuer=Kinwell&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
    }),
  })
  .openapi('TotpSetup');

/** Present only when this call created the account's recovery codes: shown once, never again. */
export const RecoveryCodesSchema = z
  .array(z.string())
  .openapi({ example: ['k7qm-2xfp-9d', 'a3vz-8wne-tq'], description: 'Shown once; store them somewhere safe' });

export const TwoFactorEnabledSchema = z
  .object({ recoveryCodes: RecoveryCodesSchema.optional() })
  .openapi('TwoFactorEnabled');

export const EnableBody = z
  .object({ code: OtpSchema })
  .openapi('TwoFactorEnableInput', { example: { code: '123456' } });

/**
 * A second factor proven again, for changes that weaken the account: a current TOTP code, an unused
 * recovery code, or an email code sent by POST /auth/2fa/email/setup (when email 2FA is on).
 */
export const FreshFactorSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('totp'), code: OtpSchema }),
    z.object({ type: z.literal('email'), code: OtpSchema }),
    z.object({ type: z.literal('recovery'), code: RecoveryCodeSchema }),
  ])
  .openapi('FreshFactor', { example: { type: 'totp', code: '123456' } });

export type FreshFactor = z.infer<typeof FreshFactorSchema>;

export const DisableBody = z
  .object({ method: z.enum(['totp', 'email', 'passkey', 'all']), factor: FreshFactorSchema })
  .openapi('TwoFactorDisableInput', { example: { method: 'totp', factor: { type: 'totp', code: '123456' } } });

export const RegenerateBody = z
  .object({ factor: FreshFactorSchema })
  .openapi('RecoveryCodesInput', { example: { factor: { type: 'recovery', code: 'k7qm-2xfp-9d' } } });

export const SendBody = z
  .object({ challengeId: ChallengeIdSchema })
  .openapi('TwoFactorEmailSendInput', { example: { challengeId: 'chl_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } });

export const TwoFactorCodeSentSchema = z.object({
  expiresIn: z.number().int().openapi({ example: 600 }),
  resendAfter: z.number().int().openapi({ example: 60 }),
});

/**
 * The answer to a sign-in challenge. `code` for totp / email (6 digits) and recovery (`xxxx-xxxx-xx`);
 * `response` (the WebAuthn assertion JSON) for passkey.
 */
export const VerifyBody = z
  .object({
    challengeId: ChallengeIdSchema,
    method: z.enum(['totp', 'email', 'recovery', 'passkey']),
    code: z.string().trim().max(32).optional(),
    response: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'WebAuthn assertion (`PublicKeyCredential.toJSON()`), for method passkey' }),
  })
  .superRefine((body, issue) => {
    if (body.method === 'passkey') {
      if (!body.response) issue.addIssue({ code: 'custom', path: ['response'], message: 'Send the passkey response' });
      return;
    }
    if (body.code === undefined) {
      issue.addIssue({ code: 'custom', path: ['code'], message: 'Send the code' });
      return;
    }
    const schema = body.method === 'recovery' ? RecoveryCodeSchema : OtpSchema;
    const parsed = schema.safeParse(body.code);
    if (!parsed.success) {
      issue.addIssue({ code: 'custom', path: ['code'], message: parsed.error.issues[0]?.message ?? 'Invalid code' });
    }
  })
  .openapi('TwoFactorVerifyInput', {
    example: { challengeId: 'chl_01JF8ZS5X0V6M3A2Q9K1T7B4CE', method: 'totp', code: '123456' },
  });

export type VerifyInput = z.infer<typeof VerifyBody>;
