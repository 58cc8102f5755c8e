import type { z } from 'zod';
import type { RecurrenceArg } from '../bot-tools';
import type { Remaining } from './text';

/**
 * Recurrence and duration: "daily", "every other day", "alle 3 Tage", "every Monday", "on weekdays",
 * "weekly on Mon and Thu", "jeden Montag"; "for 30 days", "für 2 Wochen". Nothing said → daily.
 */

export type Recurrence = z.infer<typeof RecurrenceArg>;

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  other: 2,
  second: 2,
  third: 3,
  ein: 1,
  eine: 1,
  einen: 1,
  zwei: 2,
  zweiten: 2,
  drei: 3,
  dritten: 3,
  vier: 4,
  fünf: 5,
  sechs: 6,
  sieben: 7,
  acht: 8,
  neun: 9,
  zehn: 10,
};

export const numberOf = (word: string): number => Number(word) || NUMBER_WORDS[word.toLowerCase()] || 0;

const NUMBER =
  '(\\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|ein|eine|einen|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn)';

/** Day names (English, German, short forms) → ISO weekday. */
const DAY_NAMES: [RegExp, number][] = [
  [/^(mon(day)?s?|mo|montags?)$/i, 1],
  [/^(tue(s(day)?)?s?|di|dienstags?)$/i, 2],
  [/^(wed(nesday)?s?|mi|mittwochs?)$/i, 3],
  [/^(thu(r(s(day)?)?)?s?|do|donnerstags?)$/i, 4],
  [/^(fri(day)?s?|fr|freitags?)$/i, 5],
  [/^(sat(urday)?s?|sa|samstags?|sonnabends?)$/i, 6],
  [/^(sun(day)?s?|so|sonntags?)$/i, 7],
];
const DAY =
  '(?:mon(?:day)?s?|tue(?:s(?:day)?)?s?|wed(?:nesday)?s?|thu(?:r(?:s(?:day)?)?)?s?|fri(?:day)?s?|sat(?:urday)?s?|sun(?:day)?s?|montags?|dienstags?|mittwochs?|donnerstags?|freitags?|samstags?|sonntags?)';
const dayOf = (word: string) => DAY_NAMES.find(([pattern]) => pattern.test(word))?.[1];

const DAY_LIST = `${DAY}(?:\\s*(?:,|and|und|&|\\+)\\s*${DAY})*`;
/** "every Monday and Thursday", "weekly on Mon and Thu", "jeden Montag", "on Mondays", "montags". */
const WEEKLY_DAYS = new RegExp(
  `\\b(?:(?:every|each|weekly on|weekly|once a week on|jeden|jede|immer)\\s+)+(${DAY_LIST})\\b|\\b(${DAY_LIST})\\s+(?:every week|weekly|jede woche)\\b|\\b((?:mon|tues|wednes|thurs|fri|satur|sun)days|(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)s)\\b`,
  'gi',
);
const WEEKDAYS =
  /\b(?:on |every )?(?:weekdays|week days|workdays|werktags|wochentags|an werktagen|monday to friday|mon-fri|montag bis freitag)\b/gi;
const WEEKENDS = /\b(?:on |at |every )?(?:(?:the )?weekends?|am wochenende|an wochenenden)\b/gi;
const EVERY_N_DAYS = new RegExp(
  `\\b(?:every|each)\\s+(other|second|third|\\d+|${NUMBER.slice(1, -1)})\\s+days?\\b|\\bjeden\\s+(zweiten|dritten)\\s+tag\\b|\\balle\\s+${NUMBER}\\s+tage\\b`,
  'gi',
);
const DAILY = /\b(?:daily|every day|each day|a day|per day|täglich|jeden tag|am tag|pro tag)\b/gi;
const WEEKLY = /\b(?:weekly|every week|once a week|wöchentlich|jede woche)\b/gi;

const DURATION = new RegExp(
  `\\b(?:for|für)\\s+(?:the next\\s+)?${NUMBER}\\s+(days?|weeks?|months?|tage?n?|wochen?|monate?n?)\\b`,
  'gi',
);

/** Reads (and cuts) "for N days/weeks/months" (a month counted as 30 days). */
export function takeDuration(rest: Remaining): number | undefined {
  let days: number | undefined;
  rest.takeAll(DURATION, ([, count, unit]) => {
    const n = numberOf(count!);
    const u = unit!.toLowerCase();
    days = n * (u.startsWith('w') ? 7 : u.startsWith('m') ? 30 : 1);
  });
  return days;
}

/** Reads (and cuts) the recurrence; `undefined` when none was said. `today` is a local date's weekday. */
export function takeRecurrence(rest: Remaining, todayWeekday: number): Recurrence | undefined {
  const days = new Set<number>();
  let every: number | undefined;
  rest.takeAll(EVERY_N_DAYS, ([, en, de, deNumber]) => {
    every = numberOf((en || de || deNumber)!);
  });
  rest.takeAll(WEEKDAYS, () => {
    for (const d of [1, 2, 3, 4, 5]) days.add(d);
  });
  rest.takeAll(WEEKENDS, () => {
    days.add(6).add(7);
  });
  rest.takeAll(WEEKLY_DAYS, (match) => {
    const list = (match[1] || match[2] || match[3])!;
    for (const word of list.split(/\s*(?:,|\band\b|\bund\b|&|\+)\s*|\s+/i)) {
      const day = dayOf(word);
      if (day) days.add(day);
    }
  });
  const daily = rest.takeAll(DAILY) > 0;
  const weekly = rest.takeAll(WEEKLY) > 0;
  if (days.size > 0) return { type: 'weekly', daysOfWeek: [...days].sort((a, b) => a - b) };
  if (every) return { type: 'interval', everyNDays: every };
  if (weekly) return { type: 'weekly', daysOfWeek: [todayWeekday] };
  if (daily) return { type: 'interval', everyNDays: 1 };
  return undefined;
}
