import { z } from '@hono/zod-openapi';
import { PageQuery } from '../../http/openapi';
import { ChallengeIdSchema, EmailSchema } from './auth.schemas';

/** Base64url text (padding tolerated, as some clients send it). */
const base64Url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*={0,2}$/, 'Must be base64url');

/** A credential id is at most 1023 bytes (WebAuthn §5.1), so at most 1364 base64url characters. */
export const CredentialIdSchema = base64Url(1400).min(1).openapi({ example: 'hT4Z0m2kQ0G5t3mY3vR8sQ' });

const TransportsSchema = z
  .array(z.string().min(1).max(32))
  .max(10)
  .openapi({ example: ['internal', 'hybrid'] });

const ClientExtensionResultsSchema = z.record(z.string(), z.unknown()).default({});

/** What `PublicKeyCredential.toJSON()` (or @simplewebauthn/browser `startRegistration`) returns. */
export const RegistrationResponseSchema = z
  .object({
    id: CredentialIdSchema,
    rawId: CredentialIdSchema,
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON: base64Url(16_384).min(1),
      attestationObject: base64Url(262_144).min(1),
      authenticatorData: base64Url(262_144).optional(),
      transports: TransportsSchema.optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64Url(16_384).optional(),
    }),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    clientExtensionResults: ClientExtensionResultsSchema,
  })
  .openapi('PasskeyRegistrationResponse', {
    example: {
      id: 'hT4Z0m2kQ0G5t3mY3vR8sQ',
      rawId: 'hT4Z0m2kQ0G5t3mY3vR8sQ',
      type: 'public-key',
      response: {
        clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiLi4uIn0',
        attestationObject:
          'o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YViUSZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAAAAAAAAAAAAAAAAAAAAAAAAAEIU-GdJtpENBubd5mN70fLGlAQIDJiABIVggrXLz0NAQ9x4QhmuQE2EmrW50KMFLVv9Aws5wZMpgQq8iWCA1TluVvK_H0VdECsRlusCYzSq9dUYdgi4pPhwNeMbKBg',
        transports: ['internal', 'hybrid'],
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    },
  });

/** What `PublicKeyCredential.toJSON()` (or @simplewebauthn/browser `startAuthentication`) returns. */
export const AuthenticationResponseSchema = z
  .object({
    id: CredentialIdSchema,
    rawId: CredentialIdSchema,
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON: base64Url(16_384).min(1),
      authenticatorData: base64Url(65_536).min(1),
      signature: base64Url(16_384).min(1),
      userHandle: base64Url(256).nullish(),
    }),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    clientExtensionResults: ClientExtensionResultsSchema,
  })
  .openapi('PasskeyAuthenticationResponse', {
    example: {
      id: 'hT4Z0m2kQ0G5t3mY3vR8sQ',
      rawId: 'hT4Z0m2kQ0G5t3mY3vR8sQ',
      type: 'public-key',
      response: {
        clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiLi4uIn0',
        authenticatorData: 'SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ',
        signature: 'MEUCIQDLRJPGtzjqNWmLaNgEgOTEqpu7PUh-3zkCMl5VJuA-mgIgTYjSZWqwRkzYQ-UtVBFg5JDJW-NrRZAhq9_ua-EMQMM',
        userHandle: 'dXNyXzAxSkY4WlM1WDBWNk0zQTJROUsxVDdCNENF',
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    },
  });

export type RegistrationResponseInput = z.infer<typeof RegistrationResponseSchema>;
export type AuthenticationResponseInput = z.infer<typeof AuthenticationResponseSchema>;

const CredentialDescriptorSchema = z.object({
  id: z.string(),
  type: z.literal('public-key'),
  transports: z.array(z.string()).optional(),
});

/** Pass to `navigator.credentials.create()` (via `PublicKeyCredential.parseCreationOptionsFromJSON`). */
export const RegistrationOptionsSchema = z
  .object({
    challenge: z.string(),
    rp: z.object({ name: z.string(), id: z.string().optional() }),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
    pubKeyCredParams: z.array(z.object({ type: z.literal('public-key'), alg: z.number().int() })),
    timeout: z.number().int().optional(),
    excludeCredentials: z.array(CredentialDescriptorSchema).optional(),
    authenticatorSelection: z
      .object({
        authenticatorAttachment: z.string().optional(),
        residentKey: z.string().optional(),
        requireResidentKey: z.boolean().optional(),
        userVerification: z.string().optional(),
      })
      .optional(),
    hints: z.array(z.string()).optional(),
    attestation: z.string().optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('PasskeyRegistrationOptions', {
    example: {
      challenge: 'Qx6yZr4N1k2d8bYwJmVg0pT3sE5uH7aC9fL2oR1iK4M',
      rp: { name: 'Kinwell', id: 'kinwell.app' },
      user: {
        id: 'dXNyXzAxSkY4WlM1WDBWNk0zQTJROUsxVDdCNENF',
        name: 'patient@kinwell.local',
        displayName: 'Pat Patient',
      },
      pubKeyCredParams: [
        { type: 'public-key', alg: -8 },
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      timeout: 300000,
      excludeCredentials: [{ id: 'hT4Z0m2kQ0G5t3mY3vR8sQ', type: 'public-key', transports: ['internal'] }],
      authenticatorSelection: { residentKey: 'preferred', requireResidentKey: false, userVerification: 'preferred' },
      attestation: 'none',
      extensions: { credProps: true },
      hints: [],
    },
  });

/** Pass to `navigator.credentials.get()` (via `PublicKeyCredential.parseRequestOptionsFromJSON`). */
export const AuthenticationOptionsSchema = z
  .object({
    challenge: z.string(),
    timeout: z.number().int().optional(),
    rpId: z.string().optional(),
    allowCredentials: z.array(CredentialDescriptorSchema).optional(),
    userVerification: z.string().optional(),
    hints: z.array(z.string()).optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('PasskeyAuthenticationOptions', {
    example: {
      challenge: 'Zk3n0bq2W9x1cV8mA5sD7fG4hJ6kL0pO2iU8yT1rE3w',
      timeout: 300000,
      rpId: 'kinwell.app',
      allowCredentials: [{ id: 'hT4Z0m2kQ0G5t3mY3vR8sQ', type: 'public-key', transports: ['internal'] }],
      userVerification: 'required',
    },
  });

export const PasskeySchema = z
  .object({
    id: z.string().openapi({ description: 'Credential id, base64url' }),
    name: z.string(),
    deviceType: z.string().openapi({ description: '`singleDevice` or `multiDevice` (syncable)' }),
    backedUp: z.boolean(),
    transports: z.array(z.string()),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi('Passkey', {
    example: {
      id: 'hT4Z0m2kQ0G5t3mY3vR8sQ',
      name: 'MacBook Touch ID',
      deviceType: 'multiDevice',
      backedUp: true,
      transports: ['internal', 'hybrid'],
      createdAt: '2026-01-15T10:30:00.000Z',
      lastUsedAt: '2026-01-20T08:12:00.000Z',
    },
  });

export type PasskeyView = z.infer<typeof PasskeySchema>;

export const RegisterVerifyBody = z
  .object({
    response: RegistrationResponseSchema,
    name: z.string().trim().min(1).max(64).optional().openapi({ example: 'MacBook Touch ID' }),
  })
  .openapi('PasskeyRegisterVerify');

export const AuthenticateOptionsBody = z
  .object({ email: EmailSchema.optional() })
  .openapi('PasskeyAuthenticateOptionsRequest', { example: { email: 'patient@kinwell.local' } });

export const AuthenticateVerifyBody = z.object({ response: AuthenticationResponseSchema }).openapi('PasskeySignIn');

export const TwoFactorPasskeyOptionsBody = z
  .object({ challengeId: ChallengeIdSchema })
  .openapi('TwoFactorPasskeyOptionsRequest', { example: { challengeId: 'chl_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } });

export const PasskeyIdParam = z.object({
  id: CredentialIdSchema.openapi({ param: { name: 'id', in: 'path' }, example: 'hT4Z0m2kQ0G5t3mY3vR8sQ' }),
});

export const ListPasskeysQuery = PageQuery;

export const PasskeyTwoFactorSchema = z
  .object({
    factor: z.literal('passkey'),
    enabledAt: z.string(),
    recoveryCodes: z
      .array(z.string())
      .optional()
      .openapi({ description: 'Issued when the account had none; shown once' }),
  })
  .openapi('PasskeyTwoFactor', { example: { factor: 'passkey', enabledAt: '2026-01-15T10:30:00.000Z' } });
