import { z } from '@hono/zod-openapi';
import { DEPENDENT_RELATIONSHIPS, GENDERS } from '../../db/schema';
import { NO_CONTROL_CHARS, NO_CONTROL_CHARS_BUT_LINE_BREAKS } from '../../lib/text';

/** Earliest accepted birth date; "not in the future" needs the clock, so the service checks it. */
export const EARLIEST_BIRTH_DATE = '1900-01-01';

const NameSchema = z.string().trim().min(1).max(120).regex(NO_CONTROL_CHARS, 'Must not contain control characters');

const DateOfBirthSchema = z.iso
  .date('Must be a calendar date as YYYY-MM-DD')
  .refine((d) => d >= EARLIEST_BIRTH_DATE, `Must not be before ${EARLIEST_BIRTH_DATE}`);

const NotesSchema = z
  .string()
  .max(2000)
  .refine(
    (s) => NO_CONTROL_CHARS_BUT_LINE_BREAKS.test(s),
    'Must not contain control characters other than line breaks and tabs',
  );

export const EXAMPLE_DEPENDENT_ID = 'dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE';

/** A dependent's id, as other modules' bodies and queries take it (e.g. a schedule for a dependent). */
export const DependentIdSchema = z
  .string()
  .regex(/^dep_[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a dependent id')
  .openapi({ example: EXAMPLE_DEPENDENT_ID });

/** A list filter by person: `self` (the caller) or one of the caller's dependents. */
export const PersonQuerySchema = z
  .union([z.literal('self'), DependentIdSchema])
  .optional()
  .openapi({ description: '`self` or one of my dependent ids', example: 'self' });

/** Whom a row of another module (a vaccine dose, a medicine schedule) is for: the owner, or a dependent. */
export const PersonSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('self') }),
  z.object({
    type: z.literal('dependent'),
    dependentId: z.string(),
    /** Null when the dependent has been removed. */
    name: z.string().nullable(),
  }),
]);

export type PersonView = z.infer<typeof PersonSchema>;

/** The person a row with this `dependentId` (null: the owner) is for, with the dependent's name. */
export const personOf = (dependentId: string | null, name: string | null): PersonView =>
  dependentId ? { type: 'dependent', dependentId, name } : { type: 'self' };

/** An example of a dependent person, for other modules' OpenAPI examples. */
export const EXAMPLE_DEPENDENT_PERSON: PersonView = {
  type: 'dependent',
  dependentId: EXAMPLE_DEPENDENT_ID,
  name: 'Mia Santos',
};

export const CreateDependentBody = z
  .strictObject({
    name: NameSchema,
    dateOfBirth: DateOfBirthSchema,
    relationship: z.enum(DEPENDENT_RELATIONSHIPS),
    gender: z.enum(GENDERS).nullable().optional(),
    notes: NotesSchema.nullable().optional(),
  })
  .openapi('CreateDependent', {
    example: {
      name: 'Mia Santos',
      dateOfBirth: '2024-03-14',
      relationship: 'child',
      gender: 'female',
      notes: 'Premature by 3 weeks',
    },
  });

export type CreateDependentInput = z.infer<typeof CreateDependentBody>;

/** Any of the fields; `null` clears gender or notes. Unknown keys (e.g. `userId`) are refused. */
export const UpdateDependentBody = z
  .strictObject({
    name: NameSchema.optional(),
    dateOfBirth: DateOfBirthSchema.optional(),
    relationship: z.enum(DEPENDENT_RELATIONSHIPS).optional(),
    gender: z.enum(GENDERS).nullable().optional(),
    notes: NotesSchema.nullable().optional(),
  })
  .openapi('UpdateDependent', { example: { name: 'Mia Santos-Lee', notes: null } });

export type UpdateDependentInput = z.infer<typeof UpdateDependentBody>;

export const DependentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    dateOfBirth: z.string(),
    relationship: z.enum(DEPENDENT_RELATIONSHIPS),
    gender: z.enum(GENDERS).nullable(),
    notes: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Dependent', {
    example: {
      id: 'dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      name: 'Mia Santos',
      dateOfBirth: '2024-03-14',
      relationship: 'child',
      gender: 'female',
      notes: 'Premature by 3 weeks',
      createdAt: '2026-01-15T10:30:00.000Z',
      updatedAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type DependentView = z.infer<typeof DependentSchema>;

export const DependentIdParam = z.object({
  id: z
    .string()
    .regex(/^dep_[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a dependent id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});
