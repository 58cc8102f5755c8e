import {
  type CountryCode,
  getCountries,
  getExampleNumber,
  isSupportedCountry,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/min';
import examples from 'libphonenumber-js/mobile/examples';
import { AppError } from './errors';

/**
 * Mobile numbers: stored and compared in E.164 (`+14155550123`). A number is typed either in
 * international format (a leading `+` or `00`) or in national format, which only means something in a
 * region (an ISO 3166-1 alpha-2 code such as `IN` or `KE`) that the caller supplies.
 */

/** Options of `toE164`. */
export interface PhoneOptions {
  /** The request field named by a refusal. */
  field?: string;
  /**
   * The region a number in national format is read in (`9876543210` in `IN` is `+919876543210`).
   * Without one, digits without a `+` are read as international (`919876543210` is `+919876543210`).
   */
  region?: string | null;
}

/** Whether libphonenumber knows `code` as a region (ISO 3166-1 alpha-2, upper case), e.g. `IN`, `KE`. */
export function isPhoneRegion(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

/** Every region `isPhoneRegion` accepts, sorted. */
export const PHONE_REGIONS: readonly string[] = [...getCountries()].sort();

/** Whether `input` is in national format (no leading `+` or `00`): reading it needs a region. */
export function isNationalFormat(input: string): boolean {
  const trimmed = input.trim();
  return !trimmed.startsWith('+') && !trimmed.startsWith('00');
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** The message of a refused number: the formats read, with an example of each. */
function expectedFormat(region: CountryCode | null): string {
  if (!region) return 'Enter a valid mobile number in international format, e.g. +14155550123';
  const example = getExampleNumber(region, examples)?.formatNational();
  const name = regionNames.of(region) ?? region;
  return `Enter a valid mobile number: international format (+14155550123) or a national ${name} number${example ? ` (${example})` : ''}`;
}

/**
 * A mobile number in E.164 (`+14155550123`). A leading 00 is read as +; a number in national format
 * is read in `options.region` when one is given (the region's own country code may lead it without
 * a +), else as international digits without their +. Anything that is not a valid number is refused
 * with a message naming the formats expected (and an example national number of the region).
 * @throws AppError VALIDATION_FAILED naming `options.field` (default `mobileNumber`)
 */
export function toE164(input: string, options: PhoneOptions = {}): string {
  const { field = 'mobileNumber' } = options;
  const region = options.region && isPhoneRegion(options.region) ? (options.region as CountryCode) : null;
  const cleaned = input.trim().replace(/^00/, '+');
  const parsed = cleaned.startsWith('+')
    ? parsePhoneNumberFromString(cleaned)
    : region
      ? parsePhoneNumberFromString(cleaned, { defaultCountry: region })
      : parsePhoneNumberFromString(`+${cleaned}`);
  if (!parsed?.isValid()) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field, message: expectedFormat(region) }],
    });
  }
  return parsed.number;
}

/** The number in E.164, or null when it is not a valid number (see `toE164`). */
export function e164OrNull(input: string, region?: string | null): string | null {
  try {
    return toE164(input, { region });
  } catch {
    return null;
  }
}
