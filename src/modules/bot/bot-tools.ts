import { z } from 'zod';

/**
 * The schedule bot's tools: what the model (Workers AI function calling) or the offline parser may ask
 * for, in one typed shape. Both produce a `BotToolCall`; the chat service validates it with
 * `BotToolCallSchema`, asks for confirmation when something is ambiguous, and runs it through the
 * existing services with the caller's rights (never more than the user could do through the API).
 *
 * Conventions shared by the model prompt, the parser and the evaluation set:
 * - times of day are 24-hour local `HH:MM`, sorted, in the user's profile zone;
 * - dates are local `YYYY-MM-DD` in the user's zone (relative words resolved against "now" there);
 * - `forPerson` is the name of one of the caller's dependents as they wrote it ("Mia"), or absent for
 *   the caller themselves; the service resolves it to the dependent (or refuses);
 * - recurrence is the schedules API's: `{ type: 'weekly', daysOfWeek: [1..7] }` (1 = Monday) or
 *   `{ type: 'interval', everyNDays: n }` (1 = daily);
 * - `durationDays` ("for 30 days") becomes `endDate = startDate + durationDays − 1` in the service.
 */

const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');
const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const Person = z.string().trim().min(1).max(100);

export const RecurrenceArg = z.discriminatedUnion('type', [
  z.object({ type: z.literal('weekly'), daysOfWeek: z.array(z.number().int().min(1).max(7)).min(1).max(7) }),
  z.object({ type: z.literal('interval'), everyNDays: z.number().int().min(1).max(365) }),
]);

export const CreateMedicineArgs = z.object({
  medicineName: z.string().trim().min(1).max(200),
  /** As written, normalized to `<number> <unit>` ("500 mg", "10 ml", "2 tablets"); absent when not said. */
  dosage: z.string().trim().min(1).max(100).optional(),
  timesOfDay: z.array(LocalTime).min(1).max(12),
  recurrence: RecurrenceArg,
  startDate: LocalDate.optional(),
  endDate: LocalDate.optional(),
  durationDays: z.number().int().min(1).max(3650).optional(),
  forPerson: Person.optional(),
});

export const CreateVaccineArgs = z.object({
  /** A vaccine of the catalog, by name as the user wrote it ("MMR", "flu"); the service finds it. */
  vaccineName: z.string().trim().min(1).max(200),
  dueDate: LocalDate,
  /** The whole series from `dueDate` (the user said "series", "all doses", "schedule"), else one dose. */
  series: z.boolean().optional(),
  forPerson: Person.optional(),
});

export const ListSchedulesArgs = z.object({
  kind: z.enum(['medicine', 'vaccine']).optional(),
  forPerson: Person.optional(),
});

export const ListDosesArgs = z.object({
  /** The local date whose doses to list; absent means today. */
  date: LocalDate.optional(),
});

export const MarkDoseTakenArgs = z.object({
  /** Which medicine's dose; absent when the user has one dose due now ("I took my pill"). */
  medicineName: z.string().trim().min(1).max(200).optional(),
  /** Which time of the day's doses ("my 8am dose"); absent: the nearest pending one. */
  time: LocalTime.optional(),
  date: LocalDate.optional(),
});

export const BOT_TOOLS = {
  create_medicine_schedule: CreateMedicineArgs,
  create_vaccine_schedule: CreateVaccineArgs,
  list_schedules: ListSchedulesArgs,
  list_doses: ListDosesArgs,
  mark_dose_taken: MarkDoseTakenArgs,
} as const;

export type BotToolName = keyof typeof BOT_TOOLS;

export const BotToolCallSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('create_medicine_schedule'), arguments: CreateMedicineArgs }),
  z.object({ name: z.literal('create_vaccine_schedule'), arguments: CreateVaccineArgs }),
  z.object({ name: z.literal('list_schedules'), arguments: ListSchedulesArgs }),
  z.object({ name: z.literal('list_doses'), arguments: ListDosesArgs }),
  z.object({ name: z.literal('mark_dose_taken'), arguments: MarkDoseTakenArgs }),
]);

export type BotToolCall = z.infer<typeof BotToolCallSchema>;

/**
 * What understanding one message gave (the offline parser's answer, and the model path's after its tool
 * calls are validated):
 * - `tool`: a call, with what is still `missing` (required and unknown, e.g. the time of day) and what
 *   is `ambiguous` (said but unclear, e.g. "8" without am/pm, a dependent name that is not unique);
 * - `confirm` / `decline`: a yes or no to the pending confirmation;
 * - `advice`: a request for medical advice (the bot refuses and points to a doctor);
 * - `unknown`: nothing the bot can do.
 */
export type Understanding =
  | { kind: 'tool'; call: BotToolCall; missing: string[]; ambiguous: string[] }
  | { kind: 'confirm' }
  | { kind: 'decline' }
  | { kind: 'advice' }
  | { kind: 'unknown' };

/** What the parser knows of the user when it reads a message. */
export interface ParseContext {
  /** The current instant (epoch ms). */
  now: number;
  /** The user's IANA zone: relative dates and "today" are read there. */
  timeZone: string;
  /** The caller's dependents' names, so "for Mia" is recognised as a person. */
  dependents: string[];
}
