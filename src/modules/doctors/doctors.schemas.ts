import { z } from '@hono/zod-openapi';
import { PAYMENT_TIMINGS } from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { NO_CONTROL_CHARS, NO_CONTROL_CHARS_BUT_LINE_BREAKS } from '../../lib/text';
import { canonicalLanguage } from '../users/profile.policy';
import { MAX_SPECIALIZATION_DEPTH } from './specializations.policy';

// ---------------------------------------------------------------------------------------------------
// Shared pieces

export const TextSchema = (max: number) =>
  z.string().trim().min(1).max(max).regex(NO_CONTROL_CHARS, 'Must not contain control characters');

export const LongTextSchema = (max: number) =>
  z
    .string()
    .max(max)
    .refine(
      (s) => NO_CONTROL_CHARS_BUT_LINE_BREAKS.test(s),
      'Must not contain control characters other than line breaks and tabs',
    );

/** An amount of money in the API: a decimal string with exactly two places, e.g. `"50.00"`. */
export const AmountSchema = z
  .string()
  .regex(/^(0|[1-9]\d{0,7})\.\d{2}$/, 'Must be a decimal amount with exactly 2 places, e.g. "50.00"')
  .openapi({ example: '50.00' });

/** ISO 4217 codes the runtime knows (falls back to the shape when `Intl.supportedValuesOf` is absent). */
const KNOWN_CURRENCIES: Set<string> | null = (() => {
  try {
    return new Set(Intl.supportedValuesOf('currency'));
  } catch {
    return null;
  }
})();

export const CurrencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'Must be an ISO 4217 currency code, e.g. EUR')
  .refine((c) => !KNOWN_CURRENCIES || KNOWN_CURRENCIES.has(c), 'Unknown ISO 4217 currency code')
  .openapi({ example: 'EUR' });

export const MoneySchema = z
  .strictObject({ amount: AmountSchema, currency: CurrencySchema })
  .openapi('Money', { example: { amount: '50.00', currency: 'EUR' } });

export type Money = z.infer<typeof MoneySchema>;

/** `"50.00"` → 5000, by string arithmetic (no floats). */
export function toCents(amount: string): number {
  const [whole, fraction] = amount.split('.') as [string, string];
  return Number.parseInt(whole, 10) * 100 + Number.parseInt(fraction, 10);
}

/** 5000 → `"50.00"`. */
export function fromCents(cents: number): string {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export const LanguageSchema = z
  .string()
  .max(35)
  .refine((tag) => canonicalLanguage(tag) !== null, 'Must be a BCP 47 language tag, e.g. en or pt-BR')
  .openapi({ example: 'en' });

/** A path id: ids are opaque, so anything well-sized is looked up and unknown ones are 404. */
const pathId = (name: string, example: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name, in: 'path' }, example });

export const IdParam = z.object({ id: pathId('id', 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE') });
export const SpecializationIdParam = z.object({ id: pathId('id', 'spc_01JF8ZS5X0V6M3A2Q9K1T7B4CE') });
export const ServiceParams = z.object({
  id: pathId('id', 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE'),
  serviceId: pathId('serviceId', 'dsv_01JF8ZS5X0V6M3A2Q9K1T7B4CE'),
});

// ---------------------------------------------------------------------------------------------------
// Specializations

const SlugSchema = z
  .string()
  .min(2)
  .max(60)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Must be kebab-case, e.g. general-practice')
  .openapi({ example: 'cardiology' });

const ParentIdSchema = z
  .string()
  .min(1)
  .max(64)
  .nullable()
  .optional()
  .openapi({
    description: `The specialization this one sits under (null or absent: top-level). It must exist, must not be this one or below it, and the tree may be at most ${MAX_SPECIALIZATION_DEPTH} levels deep (422 otherwise).`,
    example: 'spc_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  });

export const CreateSpecializationBody = z
  .strictObject({
    slug: SlugSchema,
    name: TextSchema(120),
    description: LongTextSchema(2000).nullable().optional(),
    parentId: ParentIdSchema,
  })
  .openapi('CreateSpecialization', {
    example: {
      slug: 'pediatric-cardiology',
      name: 'Pediatric Cardiology',
      description: "Children's hearts",
      parentId: 'spc_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
    },
  });

export type CreateSpecializationInput = z.infer<typeof CreateSpecializationBody>;

export const UpdateSpecializationBody = z
  .strictObject({
    slug: SlugSchema.optional(),
    name: TextSchema(120).optional(),
    description: LongTextSchema(2000).nullable().optional(),
    parentId: ParentIdSchema,
  })
  .openapi('UpdateSpecialization', { example: { name: 'Cardiology and vascular medicine' } });

export type UpdateSpecializationInput = z.infer<typeof UpdateSpecializationBody>;

export const SpecializationSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    parentId: z
      .string()
      .nullable()
      .openapi({ description: 'The specialization this one sits under; null for a top-level one' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Specialization', {
    example: {
      id: 'spc_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      slug: 'cardiology',
      name: 'Cardiology',
      description: 'Heart and blood vessels',
      parentId: null,
      createdAt: '2026-01-15T10:30:00.000Z',
      updatedAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type SpecializationView = z.infer<typeof SpecializationSchema>;

export const DeletedSchema = z
  .object({ id: z.string() })
  .openapi('DeletedResource', { example: { id: 'spc_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } });

// ---------------------------------------------------------------------------------------------------
// Doctor services

const DurationSchema = z
  .number()
  .int()
  .min(5)
  .max(480)
  .refine((n) => n % 5 === 0, 'Must be a multiple of 5 minutes')
  .openapi({ example: 30 });

export const CreateServiceBody = z
  .strictObject({
    name: TextSchema(120),
    description: LongTextSchema(2000).nullable().optional(),
    durationMinutes: DurationSchema,
    price: MoneySchema,
    paymentTiming: z.enum(PAYMENT_TIMINGS).nullable().optional().openapi({
      description:
        "When the fee is paid: `at-booking` (pending until paid, payment confirms) or `later` (staff confirm). Null or absent: the setting 'payments.timing'.",
    }),
  })
  .openapi('CreateDoctorService', {
    example: {
      name: 'Video consultation',
      description: 'A first consultation by video',
      durationMinutes: 30,
      price: { amount: '50.00', currency: 'EUR' },
    },
  });

export type CreateServiceInput = z.infer<typeof CreateServiceBody>;

export const UpdateServiceBody = z
  .strictObject({
    name: TextSchema(120).optional(),
    description: LongTextSchema(2000).nullable().optional(),
    durationMinutes: DurationSchema.optional(),
    price: MoneySchema.optional(),
    paymentTiming: z.enum(PAYMENT_TIMINGS).nullable().optional().openapi({
      description:
        "When the fee is paid: `at-booking` (pending until paid, payment confirms) or `later` (staff confirm). Null or absent: the setting 'payments.timing'.",
    }),
    active: z.boolean().optional(),
  })
  .openapi('UpdateDoctorService', { example: { price: { amount: '60.00', currency: 'EUR' }, active: true } });

export type UpdateServiceInput = z.infer<typeof UpdateServiceBody>;

const SERVICE_EXAMPLE = {
  id: 'dsv_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  name: 'Video consultation',
  durationMinutes: 30,
  price: { amount: '50.00', currency: 'EUR' },
};

/** A service as the public sees it. */
export const PublicServiceSchema = z
  .object({ id: z.string(), name: z.string(), durationMinutes: z.number().int(), price: MoneySchema })
  .openapi('DoctorServiceSummary', { example: SERVICE_EXAMPLE });

/** A service as its doctor (or an admin) manages it. */
export const ServiceSchema = z
  .object({
    id: z.string(),
    doctorId: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    durationMinutes: z.number().int(),
    price: MoneySchema,
    paymentTiming: z.enum(PAYMENT_TIMINGS).nullable().openapi({ description: "Null: the setting 'payments.timing'" }),
    active: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('DoctorService', {
    example: {
      ...SERVICE_EXAMPLE,
      doctorId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      description: 'A first consultation by video',
      paymentTiming: 'at-booking',
      active: true,
      createdAt: '2026-01-15T10:30:00.000Z',
      updatedAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type ServiceView = z.infer<typeof ServiceSchema>;

// ---------------------------------------------------------------------------------------------------
// Doctors

export const QualificationSchema = z
  .strictObject({
    degree: TextSchema(200),
    institution: TextSchema(200),
    year: z.number().int().min(1900).max(2100).optional(),
  })
  .openapi('Qualification', { example: { degree: 'MD', institution: 'University of Lisbon', year: 2012 } });

export const UpdateDoctorProfileBody = z
  .strictObject({
    bio: LongTextSchema(4000).nullable().optional(),
    qualifications: z.array(QualificationSchema).max(20).optional(),
    yearsOfExperience: z.number().int().min(0).max(70).nullable().optional(),
    languages: z.array(LanguageSchema).max(20).optional(),
    consultationFee: MoneySchema.nullable().optional(),
    registrationNumber: TextSchema(64).nullable().optional(),
    specializationIds: z.array(z.string().min(1).max(64)).max(20).optional(),
    photoFileId: z.string().min(1).max(64).nullable().optional(),
  })
  .openapi('UpdateDoctorProfile', {
    example: {
      bio: 'Cardiologist with a focus on prevention.',
      qualifications: [{ degree: 'MD', institution: 'University of Lisbon', year: 2012 }],
      yearsOfExperience: 12,
      languages: ['en', 'pt-PT'],
      consultationFee: { amount: '50.00', currency: 'EUR' },
      registrationNumber: 'OM-54321',
      specializationIds: ['spc_01JF8ZS5X0V6M3A2Q9K1T7B4CE'],
      photoFileId: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
    },
  });

export type UpdateDoctorProfileInput = z.infer<typeof UpdateDoctorProfileBody>;

const SpecializationRefSchema = z
  .object({ slug: z.string(), name: z.string() })
  .openapi('SpecializationRef', { example: { slug: 'cardiology', name: 'Cardiology' } });

const DOCTOR_EXAMPLE = {
  id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  name: 'Dr. Ana Costa',
  photo: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  photoUrl:
    'https://api.kinwell.app/api/v1/doctors/usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE/photo?v=fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  specializations: [{ slug: 'cardiology', name: 'Cardiology' }],
  languages: ['en', 'pt-PT'],
  yearsOfExperience: 12,
  consultationFee: { amount: '50.00', currency: 'EUR' },
  services: [SERVICE_EXAMPLE],
  rating: {
    count: 12,
    average: 4.58,
    categories: { punctuality: 4.2, bedsideManner: 4.9, communication: 4.75, waitTime: 3.8 },
  },
};

const Average = z.number().min(1).max(5).nullable();

export const DoctorRatingSchema = z
  .object({
    count: z.number().int().openapi({ description: 'Published reviews' }),
    average: Average.openapi({
      description: 'Plain average of the published reviews’ overall ratings; null below `reviews.minCountToShow`',
    }),
    categories: z
      .object({ punctuality: Average, bedsideManner: Average, communication: Average, waitTime: Average })
      .nullable()
      .openapi({ description: 'Each over the published reviews that rated it; null below the minimum count' }),
  })
  .openapi('DoctorRating', {
    example: {
      count: 12,
      average: 4.58,
      categories: { punctuality: 4.2, bedsideManner: 4.9, communication: 4.75, waitTime: 3.8 },
    },
  });

const doctorSummaryShape = {
  id: z.string(),
  name: z.string(),
  photo: z.string().nullable().openapi({ description: "The photo's file id (the doctor's own files)" }),
  photoUrl: z.string().nullable().openapi({
    description:
      'Where anyone may load the profile photo (no token; publicly cacheable; `v` changes with the photo). Null without a photo.',
  }),
  specializations: z.array(SpecializationRefSchema),
  languages: z.array(z.string()),
  yearsOfExperience: z.number().int().nullable(),
  consultationFee: MoneySchema.nullable(),
  services: z.array(PublicServiceSchema),
  rating: DoctorRatingSchema,
};

export const DoctorSummarySchema = z.object(doctorSummaryShape).openapi('DoctorSummary', { example: DOCTOR_EXAMPLE });

export type DoctorSummaryView = z.infer<typeof DoctorSummarySchema>;

export const DoctorSchema = z
  .object({
    ...doctorSummaryShape,
    bio: z.string().nullable(),
    qualifications: z.array(QualificationSchema),
    registrationNumber: z.string().nullable(),
    timeZone: z.string(),
  })
  .openapi('Doctor', {
    example: {
      ...DOCTOR_EXAMPLE,
      bio: 'Cardiologist with a focus on prevention.',
      qualifications: [{ degree: 'MD', institution: 'University of Lisbon', year: 2012 }],
      registrationNumber: 'OM-54321',
      timeZone: 'Europe/Lisbon',
    },
  });

export type DoctorView = z.infer<typeof DoctorSchema>;

export const ManagedDoctorSchema = DoctorSchema.extend({
  status: z.string().openapi({ description: 'The account status: a `pending` doctor is not listed until verified' }),
  completeness: z
    .object({
      score: z.number().int().min(0).max(100),
      missing: z.array(z.string()).openapi({ description: 'The profile fields still empty, in screen order' }),
    })
    .openapi({ description: 'How complete the profile is (never shown in the public directory)' }),
}).openapi('ManagedDoctor', {
  example: {
    ...DOCTOR_EXAMPLE,
    bio: null,
    qualifications: [],
    registrationNumber: null,
    timeZone: 'Europe/Lisbon',
    status: 'active',
    completeness: { score: 67, missing: ['bio', 'qualifications', 'registrationNumber'] },
  },
});

const filterText = (example: string) => z.string().trim().min(1).max(100).optional().openapi({ example });

export const DoctorListQuery = PageQuery.extend({
  specialization: SlugSchema.optional(),
  service: filterText('video'),
  language: LanguageSchema.optional(),
  search: filterText('costa'),
  sort: z.enum(['name', 'rating']).default('name').openapi({
    description:
      '`name` (default), or `rating`: doctors with a shown rating first, best average first, then more reviews, then by name',
  }),
});

export type DoctorListQueryInput = z.infer<typeof DoctorListQuery>;
