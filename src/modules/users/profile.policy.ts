import { type Completeness, completenessOf, type FieldCheck } from '../../lib/completeness';

/**
 * Pure checks and normalisation of profile values, shared by the request schemas (to refuse bad input
 * with 422) and the profile service (to store the canonical form).
 */

/** An IANA name (`Europe/Lisbon`, `UTC`, `Etc/GMT+5`): offsets like `+01:00` are not IANA zones. */
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/**
 * The canonical spelling of an IANA time zone, or null when the runtime does not know it.
 * @example canonicalTimeZone('europe/lisbon') // 'Europe/Lisbon'; canonicalTimeZone('Mars/Olympus') // null
 */
export function canonicalTimeZone(zone: string): string | null {
  if (!IANA_NAME.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** A primary language subtag of 2–3 letters (ISO 639), so free words like `english` are refused. */
const PRIMARY_LANGUAGE = /^[a-z]{2,3}(-|$)/i;

/**
 * The canonical form of a BCP 47 language tag, or null when it is not one.
 * @example canonicalLanguage('pt-br') // 'pt-BR'; canonicalLanguage('en_US') // null
 */
export function canonicalLanguage(tag: string): string | null {
  if (!PRIMARY_LANGUAGE.test(tag)) return null;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

/** ISO 3166-1 alpha-2, officially assigned codes (249). */
const COUNTRY_CODES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS ' +
    'MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS ' +
    'RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW ' +
    'TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

export function isCountryCode(code: string): boolean {
  return COUNTRY_CODES.has(code);
}

/** The furthest-ahead time zone is UTC+14: no one alive was born after today's date there. */
const FURTHEST_AHEAD_MS = 14 * 3600_000;

/** Whether an ISO date (`YYYY-MM-DD`) is still in the future everywhere on Earth at `now`. */
export function isFutureDate(isoDate: string, now: Date): boolean {
  const latestToday = new Date(now.getTime() + FURTHEST_AHEAD_MS).toISOString().slice(0, 10);
  return isoDate > latestToday;
}

/** The profile as the completeness rule reads it (the view's fields; no schema import, which would cycle). */
interface ProfileFields {
  dateOfBirth: string | null;
  gender: string | null;
  address: object | null;
  bloodGroup: string | null;
  allergies: readonly string[] | null;
  preferredLanguage: string | null;
  timeZone: string | null;
  emergencyContacts: readonly unknown[];
  avatar: object | null;
}

/** A user's profile fields, in the order the profile screen shows them. */
const PROFILE_FIELDS: readonly FieldCheck<ProfileFields>[] = [
  ['dateOfBirth', (p) => p.dateOfBirth !== null],
  ['gender', (p) => p.gender !== null],
  ['address', (p) => p.address !== null],
  ['bloodGroup', (p) => p.bloodGroup !== null],
  ['allergies', (p) => p.allergies !== null],
  ['preferredLanguage', (p) => p.preferredLanguage !== null],
  ['timeZone', (p) => p.timeZone !== null],
  ['emergencyContacts', (p) => p.emergencyContacts.length > 0],
  ['avatar', (p) => p.avatar !== null],
];

/** How complete a user's profile is (`allergies: []`, "none known", counts as answered). */
export function profileCompleteness(profile: ProfileFields): Completeness {
  return completenessOf(profile, PROFILE_FIELDS);
}
