import { isoWeekday, localDateAt } from '../../../lib/time';
import type { BotToolCall, ParseContext, Understanding } from '../bot-tools';
import { type DateFound, takeDates } from './dates';
import { isAdviceRequest, isConfirmation, isDecline } from './intents';
import { nameIn, takeDosage } from './names';
import { takePerson } from './people';
import { takeDuration, takeRecurrence } from './recurrence';
import { fixTypos, Remaining } from './text';
import { takeTimes } from './times';
import { takeVaccine } from './vaccines';

/**
 * The offline parser: what one message asks for, without a model (docs/bot.md, "The offline parser").
 * Pure: no I/O, no clock (now and the zone come from the context). Order: a yes/no answer, a request
 * for advice, then the tool: marking a dose taken, a question (doses of a day, or schedules), a vaccine
 * schedule, a medicine schedule; nothing recognisable → unknown.
 */
export function parseMessage(message: string, context: ParseContext): Understanding {
  const text = fixTypos(message.trim());
  if (!text) return { kind: 'unknown' };
  if (isConfirmation(text)) return { kind: 'confirm' };
  if (isDecline(text)) return { kind: 'decline' };
  if (isAdviceRequest(text)) return { kind: 'advice' };
  const today = localDateAt(context.now, context.timeZone);
  const lower = text.toLowerCase();
  if (CANNOT.test(lower)) return { kind: 'unknown' };
  if (TAKEN.test(lower)) return markTaken(text, today, context);
  if (QUESTION.test(lower) && !REQUEST.test(lower)) return question(text, today, context);
  if (VACCINE.test(lower)) return vaccineSchedule(text, today, context);
  return medicineSchedule(text, today, context);
}

/** Changing or deleting a schedule is no tool of the bot (the app does it): not read as a new one. */
const CANNOT = /\b(?:delete|remove|cancel my|change|edit|modify|löschen|lösche|entfernen|entferne|ändern|ändere)\b/;
const TAKEN = /\b(?:took|taken|have had|i've had|genommen|eingenommen)\b/;
const QUESTION =
  /\?\s*$|\b(?:anzeigen|zeigen|auflisten)\s*$|^(?:what|what's|whats|which|show|list|when|tell me|do i|did i|how many|was|welche|welcher|welches|zeig|zeige|zeigen|wann|liste|habe ich|muss ich)\b/;
/** "Can you remind me to…?" is a request, not a question about schedules. */
const REQUEST =
  /^(?:(?:can|could|would|will) you\s+(?:please\s+)?(?:remind|add|schedule|set|create|put|make)|please\b)|\bremind me\b/;
const VACCINE =
  /\b(?:vaccines?|vaccinations?|shots?|jabs?|boosters?|impfung(?:en)?|impfen|impfstoff|mmr|hpv|polio|tetanus|hepatitis|fsme|dtap|tdap|bcg)\b|\w+impfung\b/;
const DOSES_WORDS = /\b(?:take|taking|doses?|due|need to|have to|nehmen|nehme|einnehmen|fällig|dran)\b/;
const SCHEDULE_WORDS =
  /\b(?:schedules?|plans?|medications?|medicines?|meds|pills|vaccines?|vaccinations?|reminders?)\b|pläne?\b|impf|medikament/;

const tool = (call: BotToolCall, missing: string[] = [], ambiguous: string[] = []): Understanding => ({
  kind: 'tool',
  call,
  missing: missing.sort(),
  ambiguous: ambiguous.sort(),
});

/** The date of a question or a taken dose: none for today (the tools' default). */
function dayOf(dates: DateFound[], today: string): string | undefined {
  const date = dates[0]?.date;
  return date && date !== today ? date : undefined;
}

function markTaken(text: string, today: string, context: ParseContext): Understanding {
  const rest = new Remaining(text);
  const { times } = takeTimes(rest);
  const date = dayOf(takeDates(rest, today, false), today);
  takePerson(rest, context.dependents);
  rest.takeAll(/\b(?:mark(?:ed)?|as taken|done)\b/gi);
  const medicineName = nameIn(rest);
  const args = {
    ...(medicineName ? { medicineName } : {}),
    ...(times[0] ? { time: times[0] } : {}),
    ...(date ? { date } : {}),
  };
  return tool({ name: 'mark_dose_taken', arguments: args });
}

function question(text: string, today: string, context: ParseContext): Understanding {
  const lower = text.toLowerCase();
  const rest = new Remaining(text);
  const person = takePerson(rest, context.dependents);
  const dates = takeDates(rest, today);
  if (
    (DOSES_WORDS.test(lower) && !/\bschedules\b|pläne/.test(lower)) ||
    (dates.length > 0 && SCHEDULE_WORDS.test(lower))
  ) {
    const date = dayOf(dates, today);
    return tool({ name: 'list_doses', arguments: date ? { date } : {} });
  }
  if (!SCHEDULE_WORDS.test(lower)) return { kind: 'unknown' };
  const kind: 'vaccine' | 'medicine' | undefined = /vaccin|impf|shots?\b/.test(lower)
    ? 'vaccine'
    : /medic|meds\b|pills|medikament|tabletten/.test(lower)
      ? 'medicine'
      : undefined;
  const args = { ...(kind ? { kind } : {}), ...(person.name ? { forPerson: person.name } : {}) };
  return tool({ name: 'list_schedules', arguments: args }, [], person.ambiguous ? ['forPerson'] : []);
}

function vaccineSchedule(text: string, today: string, context: ParseContext): Understanding {
  const rest = new Remaining(text);
  const person = takePerson(rest, context.dependents);
  const { name, series } = takeVaccine(rest);
  const dates = takeDates(rest, today);
  const dueDate = dates[0]?.date ?? '';
  const args = {
    vaccineName: name ?? nameIn(rest) ?? '',
    dueDate,
    ...(series ? { series: true } : {}),
    ...(person.name ? { forPerson: person.name } : {}),
  };
  const missing = [...(args.vaccineName ? [] : ['vaccineName']), ...(dueDate ? [] : ['dueDate'])];
  return tool({ name: 'create_vaccine_schedule', arguments: args }, missing, person.ambiguous ? ['forPerson'] : []);
}

/** A medicine request needs at least one of these, so a greeting is not read as a medicine's name. */
const MEDICINE_CUE =
  /\b(?:take|taking|remind|add|schedule|set up|start|nehme|nehmen|erinnere|erinner|bekommt|braucht|needs?)\b/i;

function medicineSchedule(text: string, today: string, context: ParseContext): Understanding {
  const rest = new Remaining(text);
  const durationDays = takeDuration(rest);
  const person = takePerson(rest, context.dependents);
  const dosage = takeDosage(rest);
  const times = takeTimes(rest);
  const recurrence = takeRecurrence(rest, isoWeekday(today));
  const dates = takeDates(rest, today);
  const medicineName = nameIn(rest) ?? '';
  const said = dosage || times.times.length || recurrence || durationDays || dates.length;
  if (!said && !MEDICINE_CUE.test(text)) return { kind: 'unknown' };
  const startDate = dates.find((d) => d.role !== 'end')?.date;
  const endDate = dates.find((d) => d.role === 'end')?.date;
  const args = {
    medicineName,
    ...(dosage ? { dosage } : {}),
    timesOfDay: times.times,
    recurrence: recurrence ?? { type: 'interval' as const, everyNDays: 1 },
    ...(startDate ? { startDate } : {}),
    ...(endDate ? { endDate } : {}),
    ...(durationDays ? { durationDays } : {}),
    ...(person.name ? { forPerson: person.name } : {}),
  };
  const missing = [...(medicineName ? [] : ['medicineName']), ...(times.times.length ? [] : ['timesOfDay'])];
  const ambiguous = [...(times.ambiguous ? ['time'] : []), ...(person.ambiguous ? ['forPerson'] : [])];
  return tool({ name: 'create_medicine_schedule', arguments: args }, missing, ambiguous);
}
