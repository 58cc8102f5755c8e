import { z } from '@hono/zod-openapi';
import { LocalDateSchema, PageQuery } from '../../http/openapi';
import { CurrencySchema, LanguageSchema, LongTextSchema, TextSchema } from '../doctors/doctors.schemas';

/** How far a caregiver may say they travel, in km. */
export const MIN_RADIUS_KM = 1;
export const MAX_RADIUS_KM = 200;

const pathId = (name: string, example: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name, in: 'path' }, example });

export const CaregiverIdParam = z.object({ id: pathId('id', 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE') });
export const SpecialtyIdParam = z.object({ id: pathId('id', 'csp_nursing') });

// ---------------------------------------------------------------------------------------------------
// Specialties

const SlugSchema = z
  .string()
  .min(2)
  .max(60)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Must be kebab-case, e.g. geriatric-care')
  .openapi({ example: 'geriatric-care' });

export const CreateCareSpecialtyBody = z
  .strictObject({
    slug: SlugSchema,
    name: TextSchema(120),
    description: LongTextSchema(2000).nullable().optional(),
  })
  .openapi('CreateCareSpecialty', {
    example: { slug: 'palliative-care', name: 'Palliative Care', description: 'Comfort care at the end of life' },
  });

export type CreateCareSpecialtyInput = z.infer<typeof CreateCareSpecialtyBody>;

export const UpdateCareSpecialtyBody = z
  .strictObject({
    slug: SlugSchema.optional(),
    name: TextSchema(120).optional(),
    description: LongTextSchema(2000).nullable().optional(),
  })
  .openapi('UpdateCareSpecialty', { example: { name: 'Palliative and Hospice Care' } });

export type UpdateCareSpecialtyInput = z.infer<typeof UpdateCareSpecialtyBody>;

export const CareSpecialtySchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('CareSpecialty', {
    example: {
      id: 'csp_geriatric-care',
      slug: 'geriatric-care',
      name: 'Geriatric Care',
      description: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    },
  });

export type CareSpecialtyView = z.infer<typeof CareSpecialtySchema>;

// ---------------------------------------------------------------------------------------------------
// Profiles

const DateSchema = LocalDateSchema.openapi({ example: '2027-06-30' });

const FileIdSchema = z.string().min(1).max(64).openapi({ example: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE' });

export const CredentialBody = z
  .strictObject({
    type: TextSchema(80).openapi({ example: 'Nursing licence' }),
    number: TextSchema(64).openapi({ example: 'RN-123456' }),
    issuer: TextSchema(160).openapi({ example: 'Ordem dos Enfermeiros' }),
    expiresAt: DateSchema.nullable().openapi({ description: 'The last day it is valid; null: it never expires' }),
    documentFileIds: z.array(FileIdSchema).max(10).default([]).openapi({
      description: "Files the caregiver uploaded (POST /files) proving it: each must be the caregiver's own (422)",
    }),
  })
  .openapi('CaregiverCredentialInput', {
    example: {
      type: 'Nursing licence',
      number: 'RN-123456',
      issuer: 'Ordem dos Enfermeiros',
      expiresAt: '2027-06-30',
      documentFileIds: ['fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE'],
    },
  });

const LatitudeSchema = z.number().min(-90).max(90).openapi({ example: 38.7223 });
const LongitudeSchema = z.number().min(-180).max(180).openapi({ example: -9.1393 });

export const ServiceLocationSchema = z
  .strictObject({
    address: TextSchema(300),
    latitude: LatitudeSchema,
    longitude: LongitudeSchema,
  })
  .openapi('CaregiverServiceLocation', {
    example: { address: 'Rua Augusta 100, 1100-053 Lisboa', latitude: 38.7101, longitude: -9.1368 },
  });

const RadiusSchema = z.number().int().min(MIN_RADIUS_KM).max(MAX_RADIUS_KM).openapi({ example: 15 });

export const UpdateCaregiverProfileBody = z
  .strictObject({
    credentials: z.array(CredentialBody).max(20).optional().openapi({
      description: 'Replaces the whole list; a credential with the same type and number keeps its id',
    }),
    specialtyIds: z.array(z.string().min(1).max(64)).max(10).optional(),
    hourlyRateCents: z.number().int().min(0).max(100_000_00).nullable().optional(),
    currency: CurrencySchema.optional(),
    languages: z.array(LanguageSchema).max(20).optional(),
    yearsOfExperience: z.number().int().min(0).max(70).nullable().optional(),
    bio: LongTextSchema(4000).nullable().optional(),
    photoFileId: z.string().min(1).max(64).nullable().optional(),
    serviceLocation: ServiceLocationSchema.nullable().optional(),
    serviceRadiusKm: RadiusSchema.nullable().optional(),
  })
  .openapi('UpdateCaregiverProfile', {
    example: {
      credentials: [
        {
          type: 'Nursing licence',
          number: 'RN-123456',
          issuer: 'Ordem dos Enfermeiros',
          expiresAt: '2027-06-30',
          documentFileIds: ['fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE'],
        },
      ],
      specialtyIds: ['csp_nursing', 'csp_geriatric-care'],
      hourlyRateCents: 2500,
      currency: 'EUR',
      languages: ['pt-PT', 'en'],
      yearsOfExperience: 8,
      bio: 'Registered nurse caring for older adults at home.',
      photoFileId: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
      serviceLocation: { address: 'Rua Augusta 100, 1100-053 Lisboa', latitude: 38.7101, longitude: -9.1368 },
      serviceRadiusKm: 15,
    },
  });

export type UpdateCaregiverProfileInput = z.infer<typeof UpdateCaregiverProfileBody>;

const SpecialtyRefSchema = z
  .object({ id: z.string(), slug: z.string(), name: z.string() })
  .openapi('CareSpecialtyRef', { example: { id: 'csp_nursing', slug: 'nursing', name: 'Nursing' } });

const PUBLIC_EXAMPLE = {
  id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  name: 'Cara Caregiver',
  photo: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
  specialties: [
    { id: 'csp_geriatric-care', slug: 'geriatric-care', name: 'Geriatric Care' },
    { id: 'csp_nursing', slug: 'nursing', name: 'Nursing' },
  ],
  hourlyRateCents: 2500,
  currency: 'EUR',
  languages: ['pt-PT', 'en'],
  yearsOfExperience: 8,
  bio: 'Registered nurse caring for older adults at home.',
  serviceLocation: { address: 'Rua Augusta 100, 1100-053 Lisboa', latitude: 38.7101, longitude: -9.1368 },
  serviceRadiusKm: 15,
  ratingAverage: 4.67,
  ratingCount: 3,
};

const publicShape = {
  id: z.string(),
  name: z.string(),
  photo: z.string().nullable().openapi({ description: "The photo's file id (the caregiver's own files)" }),
  specialties: z.array(SpecialtyRefSchema),
  hourlyRateCents: z.number().int().nullable().openapi({ description: 'Minor units of `currency`' }),
  currency: z.string(),
  languages: z.array(z.string()),
  yearsOfExperience: z.number().int().nullable(),
  bio: z.string().nullable(),
  serviceLocation: ServiceLocationSchema.nullable(),
  serviceRadiusKm: z.number().int().nullable(),
  ratingAverage: z
    .number()
    .nullable()
    .openapi({ description: 'The mean of the session reviews, 1–5, 2 decimals; null before the first' }),
  ratingCount: z.number().int().openapi({ description: 'How many session reviews' }),
};

export const PublicCaregiverSchema = z
  .object(publicShape)
  .openapi('PublicCaregiverProfile', { example: PUBLIC_EXAMPLE });

export type PublicCaregiverView = z.infer<typeof PublicCaregiverSchema>;

const CREDENTIAL_EXAMPLE = {
  id: 'ccr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  type: 'Nursing licence',
  number: 'RN-123456',
  issuer: 'Ordem dos Enfermeiros',
  expiresAt: '2027-06-30',
  documentFileIds: ['fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE'],
};

export const CredentialSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    number: z.string(),
    issuer: z.string(),
    expiresAt: z.string().nullable(),
    documentFileIds: z.array(z.string()),
  })
  .openapi('CaregiverCredential', {
    example: CREDENTIAL_EXAMPLE,
  });

export const CaregiverProfileSchema = z
  .object({
    ...publicShape,
    status: z
      .string()
      .openapi({ description: 'The account status: a `pending` caregiver is not listed until verified' }),
    verifiedAt: z.string().nullable(),
    rejection: z
      .object({ reason: z.string(), at: z.string() })
      .nullable()
      .openapi({ description: "An admin's refusal of the credentials, until they are verified" }),
    credentials: z.array(CredentialSchema),
    updatedAt: z.string().nullable(),
  })
  .openapi('CaregiverProfile', {
    example: {
      ...PUBLIC_EXAMPLE,
      status: 'active',
      verifiedAt: '2026-01-15T10:30:00.000Z',
      rejection: null,
      credentials: [CREDENTIAL_EXAMPLE],
      updatedAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type CaregiverProfileView = z.infer<typeof CaregiverProfileSchema>;

// ---------------------------------------------------------------------------------------------------
// Search

const coerceNumber = (schema: z.ZodNumber) => z.coerce.number().pipe(schema);

export const CAREGIVER_SORTS = ['distance', 'rating', 'price'] as const;

export const CaregiverSearchQuery = PageQuery.extend({
  specialty: SlugSchema.optional().openapi({ description: 'A specialty slug' }),
  lat: coerceNumber(z.number().min(-90).max(90))
    .optional()
    .openapi({ type: 'number', example: 38.7139, description: 'With `lng`: only caregivers whose radius covers it' }),
  lng: coerceNumber(z.number().min(-180).max(180)).optional().openapi({ type: 'number', example: -9.1394 }),
  language: LanguageSchema.optional(),
  minRate: coerceNumber(z.number().int().min(0))
    .optional()
    .openapi({ type: 'integer', example: 1500, description: 'Hourly rate, minor units' }),
  maxRate: coerceNumber(z.number().int().min(0))
    .optional()
    .openapi({ type: 'integer', example: 4000, description: 'Hourly rate, minor units' }),
  minRating: coerceNumber(z.number().min(1).max(5))
    .optional()
    .openapi({ type: 'number', example: 4.5, description: 'Only caregivers whose rating average is at least this' }),
  availableOn: DateSchema.optional().openapi({
    example: '2027-03-15',
    description: "Only bookable caregivers with weekly hours on this date's weekday",
  }),
  sort: z.enum(CAREGIVER_SORTS).optional().openapi({
    description:
      '`distance` (nearest first; needs `lat`/`lng`, the default with them), `rating` (best first), `price` (cheapest first); without a point and a sort: by name',
  }),
});

export type CaregiverSearchInput = z.infer<typeof CaregiverSearchQuery>;

export const CaregiverSearchResultSchema = PublicCaregiverSchema.extend({
  distanceKm: z
    .number()
    .nullable()
    .openapi({ description: 'Great-circle distance from (`lat`, `lng`), 2 decimals; null without a point' }),
}).openapi('CaregiverSearchResult', { example: { ...PUBLIC_EXAMPLE, distanceKm: 0.42 } });

export type CaregiverSearchResultView = z.infer<typeof CaregiverSearchResultSchema>;

// ---------------------------------------------------------------------------------------------------
// Session reviews

/** Longest review comment, in characters. */
export const MAX_REVIEW_COMMENT = 2000;

export const SessionIdParam = z.object({ id: pathId('id', 'cse_01JF8ZS5X0V6M3A2Q9K1T7B4CE') });

export const CreateSessionReviewBody = z
  .strictObject({
    rating: z.number().int().min(1).max(5).openapi({ description: '1–5', example: 5 }),
    comment: z.string().trim().min(1).max(MAX_REVIEW_COMMENT).nullable().optional(),
  })
  .openapi('CreateCareSessionReview', {
    example: { rating: 5, comment: 'Kind, punctual and careful with my mother.' },
  });

export type CreateSessionReviewInput = z.infer<typeof CreateSessionReviewBody>;

const publicReviewShape = {
  id: z.string(),
  rating: z.number().int(),
  comment: z.string().nullable(),
  createdAt: z.string(),
};

const PUBLIC_REVIEW_EXAMPLE = {
  id: 'csr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  rating: 5,
  comment: 'Kind, punctual and careful with my mother.',
  createdAt: '2026-11-21T08:00:00.000Z',
};

export const SessionReviewSchema = z
  .object({ ...publicReviewShape, sessionId: z.string(), caregiverId: z.string() })
  .openapi('CareSessionReview', {
    example: {
      ...PUBLIC_REVIEW_EXAMPLE,
      sessionId: 'cse_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      caregiverId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
    },
  });

export type SessionReviewView = z.infer<typeof SessionReviewSchema>;

export const PublicSessionReviewSchema = z.object(publicReviewShape).openapi('PublicCareSessionReview', {
  description: 'Without its author: a home-care review tells who receives care',
  example: PUBLIC_REVIEW_EXAMPLE,
});

// ---------------------------------------------------------------------------------------------------
// Recommendations

export const PatientIdParam = z.object({ patientId: pathId('patientId', 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CD') });

export const CreateRecommendationBody = z
  .strictObject({
    caregiverId: z.string().min(1).max(64).openapi({ example: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
    note: LongTextSchema(2000).nullable().optional(),
  })
  .openapi('CreateCaregiverRecommendation', {
    example: {
      caregiverId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      note: 'Cara has years of experience with post-operative care at home.',
    },
  });

export type CreateRecommendationInput = z.infer<typeof CreateRecommendationBody>;

export const RecommendationSchema = z
  .object({
    id: z.string(),
    doctor: z.object({ id: z.string(), name: z.string() }),
    caregiver: PublicCaregiverSchema,
    note: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('CaregiverRecommendation', {
    example: {
      id: 'crc_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      doctor: { id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF', name: 'Dr. Ana Costa' },
      caregiver: PUBLIC_EXAMPLE,
      note: 'Cara has years of experience with post-operative care at home.',
      createdAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type RecommendationView = z.infer<typeof RecommendationSchema>;

// ---------------------------------------------------------------------------------------------------
// Verification

export const RejectCaregiverBody = z
  .strictObject({ reason: TextSchema(500).pipe(z.string().min(3)) })
  .openapi('RejectCaregiver', { example: { reason: 'The licence document is unreadable; upload a clearer scan.' } });

export const VerificationQueueItemSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    registeredAt: z.string(),
    specialties: z.array(SpecialtyRefSchema),
    bio: z.string().nullable(),
    yearsOfExperience: z.number().int().nullable(),
    previousRejection: z
      .object({ reason: z.string(), at: z.string() })
      .nullable()
      .openapi({ description: 'The last rejection, when the caregiver changed their profile since' }),
    credentials: z.array(CredentialSchema),
    documents: z
      .array(
        z.object({
          id: z.string(),
          fileName: z.string().nullable(),
          contentType: z.string(),
          size: z.number().int(),
          uploadedAt: z.string(),
        }),
      )
      .openapi({ description: "The files the credentials name (only the caregiver's own)" }),
  })
  .openapi('CaregiverVerificationItem', {
    example: {
      id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      name: 'Cara Caregiver',
      email: 'cara@example.com',
      registeredAt: '2026-01-10T09:00:00.000Z',
      specialties: [{ id: 'csp_nursing', slug: 'nursing', name: 'Nursing' }],
      bio: 'Registered nurse caring for older adults at home.',
      yearsOfExperience: 8,
      previousRejection: null,
      credentials: [CREDENTIAL_EXAMPLE],
      documents: [
        {
          id: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
          fileName: 'licence.pdf',
          contentType: 'application/pdf',
          size: 183422,
          uploadedAt: '2026-01-10T09:05:00.000Z',
        },
      ],
    },
  });

export type VerificationQueueItemView = z.infer<typeof VerificationQueueItemSchema>;

export const RejectionSchema = z
  .object({ id: z.string(), rejection: z.object({ reason: z.string(), at: z.string() }) })
  .openapi('CaregiverRejection', {
    example: {
      id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      rejection: {
        reason: 'The licence document is unreadable; upload a clearer scan.',
        at: '2026-01-15T10:30:00.000Z',
      },
    },
  });
