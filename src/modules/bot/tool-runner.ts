import { eq, or, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { vaccines } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { addDays } from '../../lib/time';
import { takeDose } from '../schedules/dose-marks.service';
import { listDoses } from '../schedules/dose-reads.service';
import type { CreateScheduleInput, DoseView } from '../schedules/schedules.schemas';
import { createSchedule, listSchedules } from '../schedules/schedules.service';
import { createSchedules as createVaccineSchedules } from '../vaccinations/service/create';
import { listSchedules as listVaccineSchedules } from '../vaccinations/service/list';
import type { BotToolCall } from './bot-tools';

/**
 * Runs a tool call through the services the API uses, as the caller: the bot can do nothing the user
 * could not do through the API, and every rule (validation, ownership, round trips, audit) is theirs.
 * Answers the reply text and the actions the chat reports (`schedule.created`, …).
 */

/** One of the caller's dependents, as the bot resolves names against them. */
export interface Dependent {
  id: string;
  name: string;
}

export interface ToolOutcome {
  reply: string;
  actions: Record<string, unknown>[];
}

/** A refusal the bot says in words (the chat answers 200 with it; nothing was done). */
export class BotRefusal extends Error {}

const norm = (s: string) => s.trim().toLowerCase();

/**
 * The dependent a name means: the one whose full name matches, else the only one whose first name
 * does. None or several: a refusal naming the problem (the bot never guesses whose schedule it is).
 * @throws BotRefusal
 */
export function resolvePerson(name: string | undefined, dependents: readonly Dependent[]): Dependent | null {
  if (name === undefined) return null;
  const wanted = norm(name);
  if (['me', 'myself', 'mich', 'mir', 'self'].includes(wanted)) return null;
  const exact = dependents.filter((d) => norm(d.name) === wanted);
  const byFirst = dependents.filter((d) => norm(d.name).split(/\s+/)[0] === wanted);
  const found = exact.length ? exact : byFirst;
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new BotRefusal(`You have more than one dependent called ${name}: please use their full name.`);
  }
  throw new BotRefusal(
    `I can only manage schedules for you and your own dependents, and none of them is called ${name}.`,
  );
}

/** What a create call will do, in a sentence: said before asking for a confirmation, and after doing it. */
export function describeCall(call: BotToolCall, today: string): string {
  const who = (person?: string) => (person ? ` for ${person}` : '');
  switch (call.name) {
    case 'create_medicine_schedule': {
      const a = call.arguments;
      const how =
        a.recurrence.type === 'interval'
          ? a.recurrence.everyNDays === 1
            ? 'every day'
            : `every ${a.recurrence.everyNDays} days`
          : `on ${a.recurrence.daysOfWeek.map((d) => WEEKDAYS[d - 1]).join(', ')}`;
      const end = endDateOf(a, today);
      return `${a.medicineName}${a.dosage ? ` ${a.dosage}` : ''}${who(a.forPerson)} at ${[...a.timesOfDay].sort().join(' and ')} ${how}, from ${a.startDate ?? today}${end ? ` until ${end}` : ''}`;
    }
    case 'create_vaccine_schedule': {
      const a = call.arguments;
      return `${a.series ? 'the full series of ' : ''}${a.vaccineName}${who(a.forPerson)}${a.series ? ' starting' : ''} on ${a.dueDate}`;
    }
    case 'mark_dose_taken':
      return `your ${call.arguments.medicineName ?? ''} dose${call.arguments.time ? ` of ${call.arguments.time}` : ''} as taken`.replace(
        '  ',
        ' ',
      );
    default:
      return call.name.replaceAll('_', ' ');
  }
}

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function endDateOf(a: { startDate?: string; endDate?: string; durationDays?: number }, today: string) {
  if (a.endDate) return a.endDate;
  if (a.durationDays) return addDays(a.startDate ?? today, a.durationDays - 1);
  return undefined;
}

/** Runs `call` as the caller; `today` is their local date. */
export async function runTool(
  ctx: AuthedContext,
  call: BotToolCall,
  context: { today: string; dependents: readonly Dependent[] },
): Promise<ToolOutcome> {
  switch (call.name) {
    case 'create_medicine_schedule': {
      const a = call.arguments;
      const person = resolvePerson(a.forPerson, context.dependents);
      const input: CreateScheduleInput = {
        kind: 'medicine',
        medicineName: a.medicineName,
        dosage: a.dosage ?? null,
        quantityPerDose: 1,
        timesOfDay: [...new Set(a.timesOfDay)].sort(),
        recurrence: a.recurrence,
        startDate: a.startDate ?? context.today,
        endDate: endDateOf(a, context.today) ?? null,
        dependentId: person?.id ?? null,
      };
      const schedule = await createSchedule(ctx, input);
      return {
        reply: `Done: I created ${describeCall(call, context.today)}. I will remind you at each dose.`,
        actions: [{ type: 'schedule.created', kind: 'medicine', scheduleId: schedule.id, schedule }],
      };
    }
    case 'create_vaccine_schedule': {
      const a = call.arguments;
      const person = resolvePerson(a.forPerson, context.dependents);
      const vaccine = await findVaccine(ctx, a.vaccineName);
      const { items } = await createVaccineSchedules(
        ctx,
        a.series
          ? { vaccineId: vaccine.id, dependentId: person?.id ?? null, firstDueDate: a.dueDate, series: true }
          : { vaccineId: vaccine.id, dependentId: person?.id ?? null, doseNumber: 1, dueDate: a.dueDate },
      );
      const doses = items.map((item) => `dose ${item.doseNumber} on ${item.dueDate}`).join(', ');
      return {
        reply: `Done: I scheduled ${vaccine.name}${person ? ` for ${person.name}` : ''}: ${doses}.`,
        actions: items.map((schedule) => ({
          type: 'schedule.created',
          kind: 'vaccine',
          scheduleId: schedule.id,
          schedule,
        })),
      };
    }
    case 'list_schedules': {
      const a = call.arguments;
      const person = resolvePerson(a.forPerson, context.dependents);
      const lines: string[] = [];
      const actions: Record<string, unknown>[] = [];
      if (a.kind !== 'vaccine') {
        const medicines = await listSchedules(ctx, {
          page: 1,
          limit: 20,
          kind: 'medicine',
          status: 'active',
          ...(person ? { person: person.id } : {}),
        });
        for (const s of medicines.items) {
          lines.push(`${s.name}${s.dosage ? ` ${s.dosage}` : ''} at ${s.timesOfDay.join(', ')}`);
        }
        actions.push({ type: 'schedules.listed', kind: 'medicine', items: medicines.items });
      }
      if (a.kind !== 'medicine') {
        const shots = await listVaccineSchedules(ctx, {
          page: 1,
          limit: 20,
          status: 'scheduled',
          ...(person ? { person: person.id } : {}),
        });
        for (const v of shots.items) {
          lines.push(
            `${v.vaccine?.name ?? 'Vaccine'} dose ${v.doseNumber} on ${v.dueDate} (${v.person.type === 'dependent' ? (v.person.name ?? 'a dependent') : 'you'})`,
          );
        }
        actions.push({ type: 'schedules.listed', kind: 'vaccine', items: shots.items });
      }
      return {
        reply: lines.length ? `Your schedules:\n- ${lines.join('\n- ')}` : 'You have no schedules yet.',
        actions,
      };
    }
    case 'list_doses': {
      const date = call.arguments.date ?? context.today;
      const doses = await listDoses(ctx, { page: 1, limit: 50, date });
      const items = doses.items as DoseView[];
      const lines = items.map(
        (d) =>
          `${d.localTime} ${d.schedule?.name ?? 'a removed schedule'}${d.schedule?.dosage ? ` ${d.schedule.dosage}` : ''} (${d.status})`,
      );
      return {
        reply: lines.length ? `Doses on ${date}:\n- ${lines.join('\n- ')}` : `No doses on ${date}.`,
        actions: [{ type: 'doses.listed', date, items }],
      };
    }
    case 'mark_dose_taken': {
      const a = call.arguments;
      const date = a.date ?? context.today;
      const doses = (await listDoses(ctx, { page: 1, limit: 50, date })).items as DoseView[];
      const wanted = a.medicineName ? norm(a.medicineName) : null;
      const candidates = doses.filter(
        (d) =>
          d.status === 'pending' &&
          (!wanted || norm(d.schedule?.name ?? '').includes(wanted) || wanted.includes(norm(d.schedule?.name ?? ''))) &&
          (!a.time || d.localTime === a.time),
      );
      if (candidates.length === 0) {
        throw new BotRefusal(
          `I found no pending ${a.medicineName ?? ''} dose on ${date} to mark as taken.`.replace('  ', ' '),
        );
      }
      if (candidates.length > 1) {
        throw new BotRefusal(
          `Several doses match: ${candidates.map((d) => `${d.schedule?.name} at ${d.localTime}`).join(', ')}. Tell me which one (name and time).`,
        );
      }
      const dose = await takeDose(ctx, candidates[0]!.id, {});
      return {
        reply: `Marked ${dose.schedule?.name ?? 'the dose'} at ${dose.localTime} as taken.`,
        actions: [{ type: 'dose.taken', doseId: dose.id, dose }],
      };
    }
  }
}

/**
 * The catalog vaccine a name means: its code, its name, or a disease it protects against, when exactly
 * one matches.
 * @throws BotRefusal (none, or several)
 */
async function findVaccine(ctx: AuthedContext, name: string) {
  const wanted = norm(name);
  const like = `%${wanted}%`;
  const rows = await ctx.db
    .select({ id: vaccines.id, name: vaccines.name, code: vaccines.code })
    .from(vaccines)
    .where(
      or(
        eq(sql`lower(${vaccines.code})`, wanted),
        sql`lower(${vaccines.name}) like ${like}`,
        sql`lower(${vaccines.diseases}) like ${like}`,
      ),
    )
    .limit(5);
  const exact = rows.filter((r) => norm(r.code) === wanted || norm(r.name) === wanted);
  const found = exact.length ? exact : rows;
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new BotRefusal(`I could not find a vaccine called ${name} in the catalog.`);
  throw new BotRefusal(`${name} could be ${found.map((r) => r.name).join(' or ')}: which one?`);
}

/** AppErrors a tool's service raised, said as a refusal (the user's words were understood, the rule said no). */
export function refusalOf(err: unknown): BotRefusal | null {
  if (err instanceof BotRefusal) return err;
  if (err instanceof AppError && err.code !== 'INTERNAL' && err.code !== 'SERVICE_UNAVAILABLE') {
    const fields = (err.fields ?? []).map((f) => `${f.field}: ${f.message}`).join('; ');
    return new BotRefusal(`I could not do that: ${err.message}${fields ? ` (${fields})` : ''}.`);
  }
  return null;
}
