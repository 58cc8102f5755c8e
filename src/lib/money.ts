/**
 * Money amounts. Every amount in Kinwell is an integer count of the currency's minor unit (ISO 4217
 * exponent, as Intl knows it): cents for EUR or KES, whole yen for JPY (exponent 0), fils for BHD
 * (exponent 3). The name `…Cents` is kept for all of them; it always means "minor units".
 */

/** How a currency is named in a formatted amount: its symbol (`€`) or its ISO code (`EUR`). */
export type CurrencyDisplay = 'symbol' | 'code';

const formats = new Map<string, Intl.NumberFormat>();

function numberFormat(currency: string, locale: string, display: CurrencyDisplay): Intl.NumberFormat {
  const key = `${locale}|${currency}|${display}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: display });
    formats.set(key, format);
  }
  return format;
}

/**
 * The number of decimal places of a currency's minor unit (2 for EUR, 0 for JPY, 3 for BHD).
 * @throws RangeError when `currency` is not a well-formed ISO 4217 code.
 */
export function minorUnitDigits(currency: string): number {
  return numberFormat(currency, 'en', 'code').resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * An amount in minor units formatted for people, with the currency's real number of decimals:
 * `formatMoney(123450, 'EUR')` is '€1,234.50', `formatMoney(1500, 'JPY')` is '¥1,500' (1500 yen, not 15),
 * negative amounts carry a minus sign. Formats are cached per locale, currency and display.
 * @throws RangeError when `cents` is not a safe integer or `currency` is not a well-formed ISO 4217 code.
 */
export function formatMoney(
  cents: number,
  currency: string,
  locale = 'en',
  display: CurrencyDisplay = 'symbol',
): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`amount must be an integer of minor units: ${cents}`);
  const code = currency.toUpperCase();
  return numberFormat(code, locale, display).format(cents / 10 ** minorUnitDigits(code));
}
