/**
 * The language and formats of one recipient's email: the template language from their preferred
 * language (English when it has no catalog), and dates and times in their time zone and locale (Intl).
 */

/** Languages with a message catalog. */
export const EMAIL_LANGUAGES = ['en', 'sw'] as const;
export type EmailLanguage = (typeof EMAIL_LANGUAGES)[number];

/** Formats instants and calendar dates for one recipient. */
export interface Formatter {
  /** The template language. */
  language: EmailLanguage;
  /** The BCP 47 tag Intl formats with: the recipient's own when its language has a catalog. */
  locale: string;
  /** The IANA zone instants are shown in (UTC when the recipient has none or an unknown one). */
  timeZone: string;
  /** Weekday, date and time with the zone's short name, e.g. "Friday, 15 May 2026 at 14:30 GMT+3". */
  dateTime(ms: number): string;
  /** The time of day with the zone's short name, e.g. "08:00 GMT+3". */
  time(ms: number): string;
  /** A calendar date `YYYY-MM-DD` (no zone: it is already the recipient's day), e.g. "Friday, 15 May 2026". */
  date(localDate: string): string;
}

function isLanguage(tag: string): tag is EmailLanguage {
  return (EMAIL_LANGUAGES as readonly string[]).includes(tag);
}

/** `tag` canonicalised when Intl knows it, else null. */
function canonical(tag: string): string | null {
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

function knownZone(zone: string | null | undefined): string {
  if (!zone) return 'UTC';
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return 'UTC';
  }
}

/**
 * The formatter for a recipient. `locale` is a BCP 47 tag (`sw-KE`, `en-GB`, `fr`); its primary language
 * picks the catalog, and a language without one (or no tag, or an invalid one) falls back to English
 * with `en` formats, so an email never mixes two languages.
 * @example formatterFor('sw-KE', 'Africa/Nairobi').dateTime(Date.parse('2026-05-15T11:30:00Z'))
 *   // 'Ijumaa, 15 Mei 2026 saa 14:30 GMT +3'
 */
export function formatterFor(locale: string | null | undefined, timeZone: string | null | undefined): Formatter {
  const tag = locale ? canonical(locale) : null;
  const primary = tag?.split('-')[0]?.toLowerCase() ?? '';
  const language: EmailLanguage = isLanguage(primary) ? primary : 'en';
  const formatLocale = tag && isLanguage(primary) ? tag : 'en';
  const zone = knownZone(timeZone);
  const dateTime = new Intl.DateTimeFormat(formatLocale, {
    timeZone: zone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  const time = new Intl.DateTimeFormat(formatLocale, {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  // A calendar date is formatted at its UTC noon in UTC, so no zone can move it to another day.
  const date = new Intl.DateTimeFormat(formatLocale, {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
  return {
    language,
    locale: formatLocale,
    timeZone: zone,
    dateTime: (ms) => dateTime.format(ms),
    time: (ms) => time.format(ms),
    date: (localDate) => date.format(Date.parse(`${localDate}T12:00:00Z`)),
  };
}
