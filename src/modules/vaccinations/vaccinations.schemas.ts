import { z } from '@hono/zod-openapi';
import { VACCINE_DOSE_STATUSES } from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { NO_CONTROL_CHARS, NO_CONTROL_CHARS_BUT_LINE_BREAKS } from '../../lib/text';
import { DependentIdSchema, PersonQuerySchema, PersonSchema } from '../dependents/dependents.schemas';
import { EARLIEST_DATE, LATEST_DATE } from './vaccinations.policy';

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const EXAMPLE = {
  scheduleId: 'vsc_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  vaccineId: 'vac_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  dependentId: 'dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
};

const DateSchema = z.iso
  .date('Must be a calendar date as YYYY-MM-DD')
  .refine((d) => d >= EARLIEST_DATE && d <= LATEST_DATE, `Must be between ${EARLIEST_DATE} and ${LATEST_DATE}`);

const VaccineIdSchema = z
  .string()
  .regex(new RegExp(`^vac_${ULID}$`), 'Not a vaccine id')
  .openapi({ example: EXAMPLE.vaccineId });

const NotesSchema = z
  .string()
  .max(2000)
  .refine(
    (s) => NO_CONTROL_CHARS_BUT_LINE_BREAKS.test(s),
    'Must not contain control characters other than line breaks and tabs',
  );

const personFields = {
  /** Omitted or null: the dose is for the caller. */
  dependentId: DependentIdSchema.nullable().optional(),
};

export const CreateDoseBody = z
  .strictObject({
    vaccineId: VaccineIdSchema,
    ...personFields,
    doseNumber: z.number().int().min(1).max(100),
    dueDate: DateSchema,
    notes: NotesSchema.optional(),
    series: z.literal(false).optional(),
  })
  .openapi('CreateVaccineDose', {
    example: { vaccineId: EXAMPLE.vaccineId, dependentId: EXAMPLE.dependentId, doseNumber: 2, dueDate: '2026-05-14' },
  });

export const CreateSeriesBody = z
  .strictObject({
    vaccineId: VaccineIdSchema,
    ...personFields,
    firstDueDate: DateSchema,
    series: z.literal(true),
    notes: NotesSchema.optional(),
  })
  .openapi('CreateVaccineSeries', {
    example: {
      vaccineId: EXAMPLE.vaccineId,
      dependentId: EXAMPLE.dependentId,
      firstDueDate: '2026-04-16',
      series: true,
    },
  });

/** One dose, or (with `series: true`) every dose of the vaccine's series: the plan. */
export const CreateVaccineScheduleBody = z
  .discriminatedUnion('series', [CreateDoseBody, CreateSeriesBody])
  .openapi('CreateVaccineSchedule', {
    example: {
      vaccineId: EXAMPLE.vaccineId,
      dependentId: EXAMPLE.dependentId,
      firstDueDate: '2026-04-16',
      series: true,
    },
  });

export type CreateVaccineScheduleInput = z.infer<typeof CreateVaccineScheduleBody>;

export const UpdateVaccineScheduleBody = z
  .strictObject({
    dueDate: DateSchema.optional(),
    /** `null` clears the notes. */
    notes: NotesSchema.nullable().optional(),
  })
  .openapi('UpdateVaccineSchedule', { example: { dueDate: '2026-06-01', notes: 'Moved after a fever' } });

export type UpdateVaccineScheduleInput = z.infer<typeof UpdateVaccineScheduleBody>;

const LineSchema = (max: number) =>
  z.string().trim().min(1).max(max).regex(NO_CONTROL_CHARS, 'Must not contain control characters');

export const AdministerBody = z
  .strictObject({
    administeredOn: DateSchema,
    place: LineSchema(200),
    lotNumber: LineSchema(64),
    notes: NotesSchema.optional(),
  })
  .openapi('AdministerVaccineDose', {
    example: {
      administeredOn: '2026-05-14',
      place: 'Riverside Health Centre',
      lotNumber: 'EX1234-B',
      notes: 'Left arm',
    },
  });

export type AdministerInput = z.infer<typeof AdministerBody>;

export const PlanSwitchBody = z
  .strictObject({
    /** true: every dose of the same person and vaccine that is not administered; else this dose only. */
    plan: z.boolean().optional(),
  })
  .openapi('VaccinePlanSwitch', { example: { plan: true } });

export type PlanSwitchInput = z.infer<typeof PlanSwitchBody>;

export const VaccineScheduleQuery = PageQuery.extend({
  from: DateSchema.optional().openapi({ description: 'Due on or after (YYYY-MM-DD)', example: '2026-01-01' }),
  to: DateSchema.optional().openapi({ description: 'Due on or before (YYYY-MM-DD)', example: '2026-12-31' }),
  person: PersonQuerySchema,
  vaccineId: VaccineIdSchema.optional(),
  status: z.enum(VACCINE_DOSE_STATUSES).optional(),
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ example: 'true' }),
}).refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'Must not be before `from`' });

export type VaccineScheduleQueryInput = z.infer<typeof VaccineScheduleQuery>;

export const VaccineScheduleIdParam = z.object({
  id: z
    .string()
    .regex(new RegExp(`^vsc_${ULID}$`), 'Not a vaccine schedule id')
    .openapi({ param: { name: 'id', in: 'path' }, example: EXAMPLE.scheduleId }),
});

export const VaccineScheduleSchema = z
  .object({
    id: z.string(),
    vaccineId: z.string(),
    /** Null when the vaccine has been removed from the catalog. */
    vaccine: z.object({ code: z.string(), name: z.string(), dosesInSeries: z.number().int() }).nullable(),
    person: PersonSchema,
    doseNumber: z.number().int(),
    dueDate: z.string(),
    status: z.enum(VACCINE_DOSE_STATUSES),
    active: z.boolean(),
    administeredOn: z.string().nullable(),
    administeredPlace: z.string().nullable(),
    lotNumber: z.string().nullable(),
    notes: z.string().nullable(),
    /** Age checks against the vaccine's age range at the due (or administered) date; never blocking. */
    warnings: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('VaccineSchedule', {
    example: {
      id: EXAMPLE.scheduleId,
      vaccineId: EXAMPLE.vaccineId,
      vaccine: { code: 'DTAP', name: 'DTaP', dosesInSeries: 3 },
      person: { type: 'dependent', dependentId: EXAMPLE.dependentId, name: 'Mia Santos' },
      doseNumber: 2,
      dueDate: '2026-05-14',
      status: 'administered',
      active: true,
      administeredOn: '2026-05-14',
      administeredPlace: 'Riverside Health Centre',
      lotNumber: 'EX1234-B',
      notes: null,
      warnings: [],
      createdAt: '2026-01-15T10:30:00.000Z',
      updatedAt: '2026-05-14T09:12:00.000Z',
    },
  });

export type VaccineScheduleView = z.infer<typeof VaccineScheduleSchema>;

const exampleItem = VaccineScheduleSchema.parse({
  id: EXAMPLE.scheduleId,
  vaccineId: EXAMPLE.vaccineId,
  vaccine: { code: 'DTAP', name: 'DTaP', dosesInSeries: 3 },
  person: { type: 'dependent', dependentId: EXAMPLE.dependentId, name: 'Mia Santos' },
  doseNumber: 1,
  dueDate: '2026-04-16',
  status: 'scheduled',
  active: true,
  administeredOn: null,
  administeredPlace: null,
  lotNumber: null,
  notes: null,
  warnings: ['below minimum age'],
  createdAt: '2026-01-15T10:30:00.000Z',
  updatedAt: '2026-01-15T10:30:00.000Z',
});

export const CreatedVaccineSchedulesSchema = z
  .object({
    items: z.array(VaccineScheduleSchema),
    /** Every distinct warning of the created doses, e.g. `below minimum age`. */
    warnings: z.array(z.string()),
  })
  .openapi('CreatedVaccineSchedules', { example: { items: [exampleItem], warnings: ['below minimum age'] } });

export const PlanSwitchResultSchema = z
  .object({
    active: z.boolean(),
    /** How many doses changed (0 when all were already in that state). */
    changed: z.number().int(),
    items: z.array(VaccineScheduleSchema),
  })
  .openapi('VaccinePlanSwitchResult', { example: { active: true, changed: 1, items: [exampleItem] } });

export const DeletedVaccineScheduleSchema = z
  .object({ id: z.string() })
  .openapi('DeletedVaccineSchedule', { example: { id: EXAMPLE.scheduleId } });
