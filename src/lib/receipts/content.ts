/**
 * The text of a receipt, formatted once for both renderers (HTML and PDF), so the two always say the
 * same thing: dates in the receipt's zone, amounts in its currency, the card as brand and last four.
 */
import { formatterFor } from '../email/locale';
import { formatMoney } from '../money';
import { assertReceiptConsistent, formatRate, netPaidCents, paymentMethodLabel, type Receipt } from './receipt';

/** A label and its value, e.g. ['Total', '€116.00']. */
export type Row = [label: string, value: string];

/** Receipt text, every value a display string. */
export interface ReceiptContent {
  title: string;
  number: string;
  clinic: { name: string; details: string[] };
  /** Receipt number, issue date, payment date. */
  facts: Row[];
  billedTo: string[];
  lines: { description: string; quantity: string; unit: string; total: string }[];
  /** Net, each tax line, total. The last row is the total. */
  totals: Row[];
  payment: Row[];
  /** Date, amount, status per refund; empty when there is none. */
  refunds: { date: string; amount: string; status: string }[];
  /** 'Net paid after refunds' (only when there are refunds). */
  netPaid: Row | null;
}

/** Formats a minor-unit amount; the PDF swaps in one that falls back to the ISO code. */
export type MoneyFormat = (cents: number) => string;

const quantityFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

/**
 * The receipt's text.
 * @throws RangeError when the receipt's amounts do not add up (see `assertReceiptConsistent`).
 */
export function receiptContent(receipt: Receipt, money?: MoneyFormat): ReceiptContent {
  assertReceiptConsistent(receipt);
  const amount = money ?? ((cents: number) => formatMoney(cents, receipt.currency));
  const when = formatterFor('en', receipt.timeZone);
  const date = (ms: number | null) => (ms === null ? '—' : when.dateTime(ms));
  const { clinic } = receipt;
  const details = [
    ...clinic.addressLines,
    ...(clinic.email ? [clinic.email] : []),
    ...(clinic.phone ? [clinic.phone] : []),
    ...(clinic.taxId ? [`Tax ID: ${clinic.taxId}`] : []),
  ];
  return {
    title: `Receipt ${receipt.number}`,
    number: receipt.number,
    clinic: { name: clinic.name, details },
    facts: [
      ['Receipt number', receipt.number],
      ['Issued', date(receipt.issuedAt)],
      ['Paid', date(receipt.payment.paidAt)],
    ],
    billedTo: [receipt.billedTo.name, ...(receipt.billedTo.email ? [receipt.billedTo.email] : [])],
    lines: receipt.lines.map((line) => ({
      description: line.description,
      quantity: quantityFormat.format(line.quantity),
      unit: amount(line.unitCents),
      total: amount(line.totalCents),
    })),
    totals: [
      ['Net amount (excl. tax)', amount(receipt.subtotalCents)],
      ...receipt.taxLines.map(
        (tax): Row => [`${tax.label} ${formatRate(tax.rateBps)} (included)`, amount(tax.amountCents)],
      ),
      ['Total paid', amount(receipt.totalCents)],
    ],
    payment: [
      ['Method', paymentMethodLabel(receipt.payment.method)],
      ['Reference', receipt.payment.reference],
      ['Status', receipt.payment.status],
    ],
    refunds: receipt.refunds.map((refund) => ({
      date: date(refund.at),
      amount: amount(-refund.amountCents),
      status: refund.status,
    })),
    netPaid: receipt.refunds.length > 0 ? ['Net paid after refunds', amount(netPaidCents(receipt))] : null,
  };
}
