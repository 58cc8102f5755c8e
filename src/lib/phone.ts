import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { AppError } from './errors';

/**
 * A mobile number in E.164 (`+14155550123`). Numbers without a leading + are read as international
 * after a 00 prefix; anything that is not a valid number is refused.
 * @throws AppError VALIDATION_FAILED naming `field`
 */
export function toE164(input: string, field = 'mobileNumber'): string {
  const cleaned = input.trim().replace(/^00/, '+');
  const parsed = parsePhoneNumberFromString(cleaned.startsWith('+') ? cleaned : `+${cleaned}`);
  if (!parsed?.isValid()) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field, message: 'Enter a valid mobile number in international format, e.g. +14155550123' }],
    });
  }
  return parsed.number;
}

/** The number in E.164, or null when it is not a valid number (see `toE164`). */
export function e164OrNull(input: string): string | null {
  try {
    return toE164(input);
  } catch {
    return null;
  }
}
