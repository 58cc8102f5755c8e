import * as chrono from 'chrono-node';
import type { Remaining } from './text';

/**
 * Calendar dates, read in the user's zone: chrono-node (English; for a German message German first, as English reads "10. April" as April 1) for "tomorrow", "next
 * Friday", "March 3", "2027-01-10", "10. April"; a rule of our own for a bare day of the month ("from
 * the 14th", "on the 2nd", "am 14.") → its next occurrence from today. Each date has a role from the
 * word before it: "until"/"bis" → end, "from"/"starting"/"ab" → start, else plain.
 */

export interface DateFound {
  date: string;
  role: 'start' | 'end' | 'plain';
}

const pad = (n: number) => String(n).padStart(2, '0');
const START = /^(?:from|starting(?: on| from)?|start(?:ing)?|beginning|begin|ab|von|beginnend)$/i;
const END = /^(?:until|till|til|through|to|bis|ending|end)$/i;
const roleOf = (word: string | undefined): DateFound['role'] =>
  word && START.test(word.trim()) ? 'start' : word && END.test(word.trim()) ? 'end' : 'plain';

const MONTH_AHEAD = '(?!\\s*(?:of\\s+)?(?:jan|feb|mar|mär|apr|may|mai|jun|jul|aug|sep|oct|okt|nov|dec|dez)|\\s*\\d)';
const ORDINAL = new RegExp(
  `\\b(?:(from|starting|start|beginning|until|till|ab|bis)\\s+)?(?:(?:on|the|am|dem|zum|den)\\s+)*(\\d{1,2})(?:st|nd|rd|th|\\.)${MONTH_AHEAD}(?=\\W|$)`,
  'gi',
);
const ROLE_BEFORE =
  /(?:^|\s)(from|starting(?: on| from)?|start|beginning|until|till|through|ab|bis|von)(?:\s+(?:on|the|dem|zum|den))*\s*$/i;

/** Words that make a message German (so "do" is not read as Donnerstag in "what do I take"). */
const GERMAN =
  /[äöüß]|\b(?:ich|und|am|um|für|jeden|morgen|heute|nehme|nehmen|bis|ab|mit|der|die|das|dem|bitte|welche|was|zeig|uhr|nächsten|übermorgen|gestern)\b/i;

/** The next date (from `today`, inclusive) whose day of the month is `day`. */
function nextDayOfMonth(today: string, day: number): string | undefined {
  let [year, month] = today.split('-').map(Number) as [number, number];
  for (let i = 0; i < 13; i += 1) {
    const candidate = `${year}-${pad(month)}-${pad(day)}`;
    const real = new Date(`${candidate}T00:00:00Z`).toISOString().slice(0, 10) === candidate;
    if (real && candidate >= today) return candidate;
    month += 1;
    if (month > 12) [year, month] = [year + 1, 1];
  }
  return undefined;
}

/** Reads (and cuts) the dates of what is left. `forward`: a date without a year is the next one. */
export function takeDates(rest: Remaining, today: string, forward = true): DateFound[] {
  const found: DateFound[] = [];
  rest.takeAll(ORDINAL, ([, role, day]) => {
    const date = nextDayOfMonth(today, Number(day));
    if (date) found.push({ date, role: roleOf(role) });
  });
  // chrono reads in UTC around noon of the local date: the calendar fields are the user's.
  const reference = { instant: new Date(`${today}T12:00:00Z`), timezone: 0 };
  for (const parser of GERMAN.test(rest.text) ? [chrono.de, chrono.en] : [chrono.en]) {
    const results = parser.parse(rest.text, reference, { forwardDate: forward });
    for (const result of results.reverse()) {
      const { start } = result;
      const date = `${start.get('year')}-${pad(start.get('month')!)}-${pad(start.get('day')!)}`;
      const before = rest.text.slice(0, result.index);
      const role = ROLE_BEFORE.exec(before);
      found.push({ date, role: roleOf(role?.[1]?.split(' ')[0]) });
      const cutFrom = role ? result.index - role[0].length : result.index;
      rest.text = `${rest.text.slice(0, cutFrom)} | ${rest.text.slice(result.index + result.text.length)}`;
    }
  }
  return found;
}
