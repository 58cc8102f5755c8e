import type { Remaining } from './text';

/**
 * Times of the day. Explicit clock times win; without them, part-of-day words ("every morning",
 * "abends") and then frequency words ("twice a day", "dreimal täglich") give the default times below.
 * A bare hour from 1 to 12 ("at 8", "um 8 Uhr") is read as written and reported ambiguous.
 */

/** Default times of the part-of-day words. */
export const PART_OF_DAY_TIMES = {
  morning: '08:00',
  noon: '12:00',
  afternoon: '14:00',
  evening: '20:00',
  night: '22:00',
} as const;

/** Default times of "N times a day". */
export const FREQUENCY_TIMES: Record<number, string[]> = {
  1: ['08:00'],
  2: ['08:00', '20:00'],
  3: ['08:00', '14:00', '20:00'],
  4: ['08:00', '12:00', '16:00', '20:00'],
};

export interface TimesFound {
  times: string[];
  /** A bare hour from 1 to 12 that no am/pm or part-of-day word placed. */
  ambiguous: boolean;
}

const pad = (n: number) => String(n).padStart(2, '0');
const clock = (hour: number, minute: number) => `${pad(hour % 24)}:${pad(minute)}`;

const AM_PM = /\b(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?=\W|$)/gi;
const HOUR_MINUTE = /\b(?:at\s+|um\s+|@\s*)?([01]?\d|2[0-3]):([0-5]\d)(?:\s*uhr)?\b/gi;
const LATE = /(?:in the (?:evening|afternoon)|at night|tonight|abends|nachmittags|nachts|in der nacht)/;
const EARLY = /(?:in the morning|morgens|früh|vormittags)/;
const BARE_HOUR = new RegExp(
  `\\b(?:(?:at|um|@)\\s+)?(\\d{1,2})(\\s*uhr)?(?:\\s+(${LATE.source}|${EARLY.source}))?(?=\\s|[,.;!?]|$)`,
  'gi',
);
/** "at 7 and 19", "um 8 Uhr", "at 8 in the morning": hours after at/um, or followed by "Uhr". */
const HOUR_LIST =
  /\b\d{1,2}\s*o'?clock\b|\b(?:at|um|@)\s+\d{1,2}(?:\s*uhr)?(?:\s+(?:in the \w+|at night|morgens|abends|nachts|früh))?(?:\s*(?:,|and|und|&)\s*\d{1,2}(?:\s*uhr)?(?:\s+(?:in the \w+|at night|morgens|abends|nachts|früh))?)*|\b\d{1,2}\s*uhr\b/gi;

const PARTS: [RegExp, keyof typeof PART_OF_DAY_TIMES][] = [
  [/\b(?:(?:every|each|in the)\s+)?mornings?\b|\bjeden morgen\b|\bmorgens\b|\bfrüh\b/gi, 'morning'],
  [/\b(?:every day at |at |around )?(?:noon|midday|lunch(?:time)?|mittags|zu mittag|mittag)\b/gi, 'noon'],
  [/\b(?:every|each|in the|jeden)?\s*(?:afternoons?|nachmittags?)\b/gi, 'afternoon'],
  [/\b(?:every|each|in the|jeden)?\s*(?:evenings?|abends?|abend)\b/gi, 'evening'],
  [
    /\b(?:every|each|at|jede|zur|in der)?\s*(?:night|nights|bedtime|before bed|nachts|nacht|vor dem schlafen(?:gehen)?)\b/gi,
    'night',
  ],
];

const COUNT_WORDS: Record<string, number> = {
  once: 1,
  one: 1,
  twice: 2,
  two: 2,
  three: 3,
  four: 4,
  einmal: 1,
  zweimal: 2,
  dreimal: 3,
  viermal: 4,
};
const FREQUENCY =
  /\b(once|twice|one time|two times|three times|four times|(\d)\s*(?:x|times))\s*(?:a|per|each|every)?\s*(?:day|daily)\b|\b(einmal|zweimal|dreimal|viermal|(\d)\s*(?:x|mal))\s*(?:täglich|am tag|pro tag|den tag)\b/gi;

/** "every 8 hours", "alle 6 Stunden": 24/N doses a day, from 08:00 on (hours dividing 24, from 3). */
const EVERY_N_HOURS = /\bevery\s+(\d{1,2})\s*(?:hours?|hrs?|h)\b|\balle\s+(\d{1,2})\s*(?:stunden|std|h)\b/gi;

/** Every `hours` hours from 08:00 round the clock: 8 → 00:00, 08:00, 16:00. */
const everyHours = (hours: number) => Array.from({ length: 24 / hours }, (_, i) => clock(8 + i * hours, 0));

/** Reads (and cuts) the times of day of a message ("morgen" alone is tomorrow, not the morning). */
export function takeTimes(rest: Remaining): TimesFound {
  const explicit: string[] = [];
  /** Bare hours from 1 to 12 (indices into `explicit`), which a lone part-of-day word may still place. */
  const bare: number[] = [];
  let ambiguous = false;
  rest.takeAll(AM_PM, ([, h, m, suffix]) => {
    const hour = Number(h) % 12;
    explicit.push(clock(suffix!.toLowerCase().startsWith('p') ? hour + 12 : hour, Number(m || 0)));
  });
  rest.takeAll(HOUR_MINUTE, ([, h, m]) => {
    explicit.push(clock(Number(h), Number(m)));
  });
  rest.takeAll(HOUR_LIST, ([list]) => {
    for (const [, h, , part] of list!.replace(/\s*o'?clock/gi, '').matchAll(BARE_HOUR)) {
      const hour = Number(h);
      if (hour > 23) continue;
      const late = part ? LATE.test(part.toLowerCase()) : false;
      if (!part && hour >= 1 && hour <= 12) ambiguous = true;
      if (!part && hour >= 1 && hour <= 12) bare.push(explicit.length);
      explicit.push(clock(late && hour < 12 ? hour + 12 : hour, 0));
    }
  });
  const words: string[] = [];
  for (const [pattern, part] of PARTS) {
    if (rest.takeAll(pattern) > 0) words.push(PART_OF_DAY_TIMES[part]);
  }
  let perDay: number | undefined;
  rest.takeAll(EVERY_N_HOURS, ([, en, de]) => {
    const hours = Number(en || de);
    if (24 % hours === 0 && hours >= 3) explicit.push(...everyHours(hours));
  });
  rest.takeAll(FREQUENCY, ([, en, enDigit, de, deDigit]) => {
    perDay = Number(enDigit || deDigit) || COUNT_WORDS[(en || de)!.toLowerCase().split(' ')[0]!];
  });
  // "jeden Abend um 9 Uhr", "every morning at 7": one part of the day places the bare hours.
  if (ambiguous && words.length === 1 && bare.length > 0 && explicit.length === bare.length) {
    const late = words[0]! >= PART_OF_DAY_TIMES.afternoon;
    for (const index of bare) explicit[index] = clock(Number(explicit[index]!.slice(0, 2)) + (late ? 12 : 0), 0); // 12 at night: 00:00
    ambiguous = false;
  }
  const chosen =
    explicit.length > 0 ? explicit : words.length > 0 ? words : perDay ? (FREQUENCY_TIMES[perDay] ?? []) : [];
  return { times: [...new Set(chosen)].sort(), ambiguous: explicit.length > 0 && ambiguous };
}
