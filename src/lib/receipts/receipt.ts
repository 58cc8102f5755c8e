/**
 * The receipt model and its arithmetic. Pure: no I/O, no clock. Payments build a `Receipt` from stored
 * rows (with `buildReceiptTotals` for the amounts) and render it with `receiptHtml` or `receiptPdf`.
 *
 * Amounts are integers in the currency's minor unit (see src/lib/money.ts): cents for EUR, whole yen for JPY.
 *
 * Prices are tax-inclusive: what the patient pays is the service's price, and a tax line is the tax
 * *contained* in that total. For rates r₁…rₙ (basis points) the tax of rate rᵢ is
 * `total × rᵢ / (10000 + Σr)`, rounded half away from zero to a whole minor unit, each line on its own.
 * The net amount (`subtotalCents`) is then `total − Σ taxes`, so net + taxes === total always, whatever
 * the rounding did; any rounding difference lands in the net, never in the total the patient paid.
 */
import { formatMoney } from '../money';

export { formatMoney };

/** One item billed. `totalCents` is what the patient pays for it, tax included. */
export interface ReceiptLine {
  description: string;
  /** How many units (may be fractional, e.g. 1.5 hours of home care). */
  quantity: number;
  /** Price of one unit, tax included, in minor units. */
  unitCents: number;
  /** `quantity × unitCents` rounded half away from zero (see `receiptLine`). */
  totalCents: number;
}

/** A tax that applies to a currency's prices. */
export interface TaxRate {
  /** What the receipt calls it, e.g. 'VAT'. */
  label: string;
  /** basis points, e.g. 1600 = 16 % */
  rateBps: number;
}

/** A tax line: the tax of one rate contained in the total. */
export interface TaxLine {
  label: string;
  rateBps: number;
  amountCents: number;
}

/** A refund of (part of) the payment. Only `status: 'succeeded'` refunds reduce the net paid. */
export interface ReceiptRefund {
  at: number | null;
  amountCents: number;
  /** pending | succeeded | failed */
  status: string;
}

/** Everything a receipt shows. Build the amounts with `buildReceiptTotals`. */
export interface Receipt {
  /** e.g. 'KW-2026-000042' */
  number: string;
  /** UTC ms */
  issuedAt: number;
  /** IANA zone the dates are shown in */
  timeZone: string;
  /** ISO 4217 upper case, e.g. 'EUR', 'KES', 'JPY' */
  currency: string;
  clinic: { name: string; addressLines: string[]; email?: string | null; phone?: string | null; taxId?: string | null };
  billedTo: { name: string; email?: string | null };
  /** Tax-inclusive items; their totals add up to `totalCents`. */
  lines: ReceiptLine[];
  /** The net amount: `totalCents − Σ taxLines` (not the sum of the lines, which include tax). */
  subtotalCents: number;
  taxLines: TaxLine[];
  /** What the patient paid: the sum of the lines' totals, tax included. */
  totalCents: number;
  payment: {
    reference: string;
    paidAt: number | null;
    /** Card brand and last four digits only: a receipt never carries more card data. */
    method: { brand: string | null; last4: string | null } | null;
    status: string;
  };
  refunds: ReceiptRefund[];
}

/** The amounts of a receipt, consistent by construction. */
export interface ReceiptTotals {
  /** Net of tax: `totalCents − Σ taxLines[].amountCents`. */
  subtotalCents: number;
  taxLines: TaxLine[];
  /** Tax included: the sum of the lines' totals. */
  totalCents: number;
}

/** `numerator / denominator` rounded half away from zero, exactly (BigInt: no float error at any size). */
function divideRounded(numerator: number, denominator: number): number {
  const n = BigInt(numerator);
  const d = BigInt(denominator);
  const magnitude = (2n * (n < 0n ? -n : n) + d) / (2n * d);
  return Number(n < 0n ? -magnitude : magnitude);
}

function assertMinorUnits(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer of minor units: ${value}`);
}

/**
 * A line whose total is `quantity × unitCents` rounded half away from zero.
 * @example receiptLine('Consultation', 1.5, 2001) // { …, totalCents: 3002 }
 * @throws RangeError when `unitCents` is not an integer or `quantity` is negative or not finite.
 */
export function receiptLine(description: string, quantity: number, unitCents: number): ReceiptLine {
  assertMinorUnits('unitCents', unitCents);
  if (!Number.isFinite(quantity) || quantity < 0) throw new RangeError(`quantity must be ≥ 0: ${quantity}`);
  const exact = quantity * unitCents;
  const totalCents = Math.sign(exact) * Math.round(Math.abs(exact));
  return { description, quantity, unitCents, totalCents: totalCents === 0 ? 0 : totalCents };
}

/**
 * The tax contained in a tax-inclusive total, one line per rate, in the order given: each
 * `round(total × rateBps / (10000 + Σ rateBps))`, half away from zero. A zero rate gives a zero line
 * (shown, so a receipt can state "VAT 0 %"); no rates give no lines.
 * @example taxLinesFor(11600, [{ label: 'VAT', rateBps: 1600 }]) // [{ label: 'VAT', rateBps: 1600, amountCents: 1600 }]
 * @throws RangeError when `totalCents` is not an integer or a rate is not a non-negative integer of basis points.
 */
export function taxLinesFor(totalCents: number, rates: TaxRate[]): TaxLine[] {
  assertMinorUnits('totalCents', totalCents);
  for (const rate of rates) {
    if (!Number.isSafeInteger(rate.rateBps) || rate.rateBps < 0) {
      throw new RangeError(`rateBps must be a non-negative integer: ${rate.rateBps}`);
    }
  }
  const denominator = 10_000 + rates.reduce((sum, rate) => sum + rate.rateBps, 0);
  return rates.map((rate) => ({
    label: rate.label,
    rateBps: rate.rateBps,
    amountCents: divideRounded(totalCents * rate.rateBps, denominator) || 0,
  }));
}

/**
 * The amounts of a receipt from its tax-inclusive lines: the total is the lines' sum, the tax lines
 * are `taxLinesFor(total, rates)` and the net is the rest, so `subtotalCents + Σ taxes === totalCents`.
 * @throws RangeError when a line's total is not `quantity × unitCents` rounded (see `receiptLine`), or
 *   on the inputs `taxLinesFor` refuses.
 */
export function buildReceiptTotals(lines: ReceiptLine[], rates: TaxRate[]): ReceiptTotals {
  let totalCents = 0;
  for (const line of lines) {
    assertMinorUnits('totalCents', line.totalCents);
    if (receiptLine(line.description, line.quantity, line.unitCents).totalCents !== line.totalCents) {
      throw new RangeError(
        `line "${line.description}": ${line.quantity} × ${line.unitCents} is not ${line.totalCents}`,
      );
    }
    totalCents += line.totalCents;
  }
  const taxLines = taxLinesFor(totalCents, rates);
  const subtotalCents = totalCents - taxLines.reduce((sum, tax) => sum + tax.amountCents, 0);
  return { subtotalCents, taxLines, totalCents };
}

/**
 * What the patient has paid once refunds are counted: the total less every succeeded refund
 * (pending and failed refunds move no money).
 */
export function netPaidCents(receipt: Pick<Receipt, 'totalCents' | 'refunds'>): number {
  return receipt.refunds.reduce(
    (net, refund) => (refund.status === 'succeeded' ? net - refund.amountCents : net),
    receipt.totalCents,
  );
}

/**
 * Refuses a receipt whose amounts disagree, so no renderer prints numbers that do not add up.
 * @throws RangeError when the lines do not sum to the total, or net + taxes is not the total, or an
 *   amount is not an integer of minor units.
 */
export function assertReceiptConsistent(receipt: Receipt): void {
  const amounts = [
    receipt.subtotalCents,
    receipt.totalCents,
    ...receipt.lines.map((line) => line.totalCents),
    ...receipt.taxLines.map((tax) => tax.amountCents),
    ...receipt.refunds.map((refund) => refund.amountCents),
  ];
  for (const amount of amounts) assertMinorUnits('amount', amount);
  const linesSum = receipt.lines.reduce((sum, line) => sum + line.totalCents, 0);
  if (linesSum !== receipt.totalCents) throw new RangeError(`lines add up to ${linesSum}, not ${receipt.totalCents}`);
  const taxes = receipt.taxLines.reduce((sum, tax) => sum + tax.amountCents, 0);
  if (receipt.subtotalCents + taxes !== receipt.totalCents) {
    throw new RangeError(`net ${receipt.subtotalCents} + taxes ${taxes} is not ${receipt.totalCents}`);
  }
}

/** A rate in basis points as a percentage for people: 1600 → '16%', 825 → '8.25%'. */
export function formatRate(rateBps: number): string {
  return `${new Intl.NumberFormat('en', { maximumFractionDigits: 2 }).format(rateBps / 100)}%`;
}

/** The payment method as a receipt shows it: brand and last four digits only, e.g. 'Visa •••• 4242'. */
export function paymentMethodLabel(method: Receipt['payment']['method']): string {
  if (!method) return '—';
  const brand = method.brand ? brandName(method.brand) : 'Card';
  // Only ever the last four digits, even if a caller hands more.
  const last4 = method.last4?.replace(/\D/g, '').slice(-4);
  return last4 ? `${brand} •••• ${last4}` : brand;
}

const BRANDS: Record<string, string> = {
  amex: 'American Express',
  diners: 'Diners Club',
  discover: 'Discover',
  jcb: 'JCB',
  mastercard: 'Mastercard',
  unionpay: 'UnionPay',
  visa: 'Visa',
};

/** Stripe's brand ids ('visa', 'amex') as people write them; unknown brands capitalised. */
function brandName(brand: string): string {
  return BRANDS[brand.toLowerCase()] ?? brand.charAt(0).toUpperCase() + brand.slice(1);
}
