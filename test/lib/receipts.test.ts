import { describe, expect, it } from 'vitest';
import { formatMoney, minorUnitDigits } from '../../src/lib/money';
import { receiptHtml } from '../../src/lib/receipts/html';
import { receiptPdf } from '../../src/lib/receipts/pdf';
import {
  buildReceiptTotals,
  netPaidCents,
  type Receipt,
  type ReceiptLine,
  receiptLine,
  type TaxRate,
  taxLinesFor,
} from '../../src/lib/receipts/receipt';
import { pdfText } from '../support/pdf';

/** Friday 15 May 2026, 14:30 in Nairobi (UTC+3). */
const ISSUED = Date.parse('2026-05-15T11:30:00Z');
const VAT16: TaxRate[] = [{ label: 'VAT', rateBps: 1600 }];
const HOSTILE = `<script>alert("x")</script> O'Brien & Co`;
const ESCAPED = '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; O&#39;Brien &#38; Co';

function receipt(lines: ReceiptLine[], overrides: Partial<Receipt> = {}, rates: TaxRate[] = VAT16): Receipt {
  return {
    number: 'KW-2026-000042',
    issuedAt: ISSUED,
    timeZone: 'Africa/Nairobi',
    currency: 'EUR',
    clinic: {
      name: 'Kinwell Clinic',
      addressLines: ['1 Ngong Road', 'Nairobi'],
      email: 'desk@kinwell.test',
      phone: '+254 700 000000',
      taxId: 'P051234567X',
    },
    billedTo: { name: 'Ann Patient', email: 'ann@example.test' },
    lines,
    ...buildReceiptTotals(lines, rates),
    payment: {
      reference: 'pi_3Abc',
      paidAt: ISSUED - 60_000,
      method: { brand: 'visa', last4: '4242' },
      status: 'succeeded',
    },
    refunds: [],
    ...overrides,
  };
}

/** A deterministic generator (mulberry32): the property test is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('receipt totals (tax-inclusive prices)', () => {
  it('takes the tax out of the price the patient pays', () => {
    expect(buildReceiptTotals([receiptLine('Consultation', 1, 11_600)], VAT16)).toEqual({
      subtotalCents: 10_000,
      taxLines: [{ label: 'VAT', rateBps: 1600, amountCents: 1600 }],
      totalCents: 11_600,
    });
  });

  it('splits several rates over one denominator, rounding each line, the net taking the remainder', () => {
    const rates = [
      { label: 'VAT', rateBps: 1000 },
      { label: 'Levy', rateBps: 500 },
    ];
    // 10000 × 1000 / 11500 = 869.57 → 870; 10000 × 500 / 11500 = 434.78 → 435.
    expect(buildReceiptTotals([receiptLine('A', 2, 3000), receiptLine('B', 1, 4000)], rates)).toEqual({
      subtotalCents: 8695,
      taxLines: [
        { label: 'VAT', rateBps: 1000, amountCents: 870 },
        { label: 'Levy', rateBps: 500, amountCents: 435 },
      ],
      totalCents: 10_000,
    });
  });

  it('shows a zero rate as a zero line, and no rate as no line', () => {
    expect(buildReceiptTotals([receiptLine('A', 1, 999)], [{ label: 'VAT', rateBps: 0 }])).toEqual({
      subtotalCents: 999,
      taxLines: [{ label: 'VAT', rateBps: 0, amountCents: 0 }],
      totalCents: 999,
    });
    expect(buildReceiptTotals([receiptLine('A', 1, 999)], [])).toEqual({
      subtotalCents: 999,
      taxLines: [],
      totalCents: 999,
    });
  });

  it('rounds halves away from zero', () => {
    expect(taxLinesFor(5, [{ label: 'T', rateBps: 10_000 }])[0]?.amountCents).toBe(3); // 2.5
    expect(taxLinesFor(-5, [{ label: 'T', rateBps: 10_000 }])[0]?.amountCents).toBe(-3);
    expect(taxLinesFor(7, [{ label: 'T', rateBps: 10_000 }])[0]?.amountCents).toBe(4); // 3.5
    expect(receiptLine('Home care', 1.5, 2001).totalCents).toBe(3002); // 3001.5
  });

  it('counts a zero-decimal currency in whole units', () => {
    const totals = buildReceiptTotals([receiptLine('Consultation', 1, 1100)], [{ label: '消費税', rateBps: 1000 }]);
    expect(totals).toMatchObject({ subtotalCents: 1000, totalCents: 1100 });
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(formatMoney(1100, 'JPY')).toBe('¥1,100');
    expect(formatMoney(123_450, 'EUR')).toBe('€1,234.50');
    expect(formatMoney(1_234_567, 'BHD', 'en', 'code')).toBe('BHD\u00a01,234.567');
    expect(formatMoney(-1200, 'EUR')).toBe('-€12.00');
  });

  it('keeps net + taxes === total, each tax within half a unit of exact, for many amounts and rates', () => {
    const random = seeded(15);
    for (let i = 0; i < 3000; i++) {
      const rates = Array.from({ length: Math.floor(random() * 4) }, (_, j) => ({
        label: `T${j}`,
        rateBps: Math.floor(random() * 3000),
      }));
      const lines = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        receiptLine('x', Math.floor(random() * 8) / 2, Math.floor(random() * 10 ** (1 + Math.floor(random() * 8)))),
      );
      const { subtotalCents, taxLines, totalCents } = buildReceiptTotals(lines, rates);
      expect(totalCents).toBe(lines.reduce((sum, line) => sum + line.totalCents, 0));
      expect(subtotalCents + taxLines.reduce((sum, tax) => sum + tax.amountCents, 0)).toBe(totalCents);
      expect(subtotalCents).toBeGreaterThanOrEqual(0);
      const denominator = 10_000 + rates.reduce((sum, rate) => sum + rate.rateBps, 0);
      taxLines.forEach((tax, j) => {
        expect(Number.isInteger(tax.amountCents)).toBe(true);
        expect(Math.abs(tax.amountCents - (totalCents * (rates[j]?.rateBps ?? 0)) / denominator)).toBeLessThanOrEqual(
          0.5,
        );
      });
    }
  });

  it('refuses a line whose total is not quantity × unit price, and a negative or fractional rate', () => {
    expect(() =>
      buildReceiptTotals([{ description: 'A', quantity: 2, unitCents: 1000, totalCents: 2500 }], VAT16),
    ).toThrow(RangeError);
    expect(() => taxLinesFor(100, [{ label: 'T', rateBps: -1 }])).toThrow(RangeError);
    expect(() => taxLinesFor(100, [{ label: 'T', rateBps: 1.5 }])).toThrow(RangeError);
    expect(() => taxLinesFor(100.5, VAT16)).toThrow(RangeError);
  });

  it('counts only succeeded refunds in the net paid', () => {
    const refunds = [
      { at: ISSUED, amountCents: 5000, status: 'succeeded' },
      { at: null, amountCents: 1000, status: 'pending' },
      { at: ISSUED, amountCents: 2000, status: 'failed' },
    ];
    expect(netPaidCents({ totalCents: 11_600, refunds })).toBe(6600);
  });
});

describe('receiptHtml', () => {
  it('shows the clinic, number, zone dates, items, net, tax, total, card and refunds', () => {
    const html = receiptHtml(
      receipt([receiptLine('Consultation', 1, 11_600)], {
        refunds: [
          { at: Date.parse('2026-05-16T07:00:00Z'), amountCents: 5000, status: 'succeeded' },
          { at: null, amountCents: 1000, status: 'pending' },
        ],
      }),
    );
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>Receipt KW-2026-000042</title>');
    for (const shown of [
      'Kinwell Clinic',
      '1 Ngong Road',
      'desk@kinwell.test',
      'Tax ID: P051234567X',
      'Ann Patient',
      'Consultation',
    ]) {
      expect(html).toContain(shown);
    }
    expect(html).toContain('Friday, May 15, 2026 at 02:30 PM GMT+3'); // issued, in Nairobi
    expect(html).toContain('Saturday, May 16, 2026 at 10:00 AM GMT+3'); // the refund
    expect(html).toContain('<td>Net amount (excl. tax)</td><td class="num">€100.00</td>');
    expect(html).toContain('<td>VAT 16% (included)</td><td class="num">€16.00</td>');
    expect(html).toContain('<tr class="total"><td>Total paid</td><td class="num">€116.00</td>');
    expect(html).toContain('<td class="num">-€50.00</td>');
    expect(html).toContain('<td>Net paid after refunds</td><td class="num">€66.00</td>');
    expect(html).not.toMatch(/<(script|link|img)\b/); // self-contained
  });

  it('escapes what people typed', () => {
    const html = receiptHtml(
      receipt([receiptLine(HOSTILE, 1, 1000)], {
        clinic: { name: HOSTILE, addressLines: [HOSTILE] },
        billedTo: { name: HOSTILE, email: null },
      }),
    );
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(`O'Brien`);
    expect(html.split(ESCAPED).length - 1).toBe(4); // clinic name, address, patient, line item
  });

  it('shows the card as brand and last four digits only', () => {
    const withFullNumber = receipt([receiptLine('A', 1, 1000)], {
      payment: {
        reference: 'pi_1',
        paidAt: ISSUED,
        method: { brand: 'visa', last4: '4000 0566 5566 4242' },
        status: 'succeeded',
      },
    });
    const html = receiptHtml(withFullNumber);
    expect(html).toContain('Visa •••• 4242');
    expect(html).not.toContain('5566');
    const amex = receiptHtml(
      receipt([receiptLine('A', 1, 1000)], {
        payment: { ...withFullNumber.payment, method: { brand: 'amex', last4: '0005' } },
      }),
    );
    expect(amex).toContain('American Express •••• 0005');
  });

  it('prints a zero-decimal currency without decimals', () => {
    const html = receiptHtml(
      receipt([receiptLine('診察', 1, 1100)], { currency: 'JPY' }, [{ label: 'JCT', rateBps: 1000 }]),
    );
    expect(html).toContain('<td>JCT 10% (included)</td><td class="num">¥100</td>');
    expect(html).toContain('<td>Total paid</td><td class="num">¥1,100</td>');
  });

  it('refuses a receipt whose amounts do not add up', () => {
    const bad = { ...receipt([receiptLine('A', 1, 1000)]), totalCents: 1001 };
    expect(() => receiptHtml(bad)).toThrow(RangeError);
  });
});

describe('receiptPdf', () => {
  it('parses back with its metadata, one page, and the right totals in its text', async () => {
    const bytes = await receiptPdf(receipt([receiptLine('Consultation', 1, 11_600)]));
    expect(await receiptPdf(receipt([receiptLine('Consultation', 1, 11_600)]))).toEqual(bytes); // no clock, no randomness
    const { doc, pages } = await pdfText(bytes);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getPage(0).getSize()).toEqual({ width: 595.28, height: 841.89 });
    expect(doc.getTitle()).toBe('Receipt KW-2026-000042');
    expect(doc.getSubject()).toBe('Payment receipt from Kinwell Clinic to Ann Patient');
    expect(doc.getProducer()).toBe('Kinwell');
    expect(doc.getCreationDate()?.getTime()).toBe(ISSUED);
    const text = pages[0] ?? [];
    for (const shown of [
      'KW-2026-000042',
      'Kinwell Clinic',
      'Ann Patient',
      'Consultation',
      'Friday, May 15, 2026 at 02:30 PM',
      'Visa •••• 4242',
    ]) {
      expect(text.some((line) => line.includes(shown))).toBe(true);
    }
    // Label and amount side by side, in order: net, tax, total.
    const at = (label: string) => text.indexOf(label);
    expect(text[at('Net amount (excl. tax)') + 1]).toBe('€100.00');
    expect(text[at('VAT 16% (included)') + 1]).toBe('€16.00');
    expect(text[at('Total paid') + 1]).toBe('€116.00');
    expect(text).not.toContain('Net paid after refunds');
  });

  it('never throws on a name the font cannot encode, and names a currency by code when its symbol is missing', async () => {
    const bytes = await receiptPdf(
      receipt([receiptLine('Консультация 診察 🩺', 1, 50_000)], {
        currency: 'INR',
        clinic: { name: 'Клиника Zoë', addressLines: ['東京'] },
        billedTo: { name: 'Иван 🙂', email: null },
        refunds: [{ at: ISSUED, amountCents: 10_000, status: 'succeeded' }],
      }),
    );
    const { doc, pages } = await pdfText(bytes);
    const text = pages.flat();
    expect(text).toContain('??????? Zoë');
    expect(text).toContain('???? ?');
    expect(text).toContain('Total paid');
    expect(text).toContain('INR\u00a0500.00');
    expect(text).toContain('-INR\u00a0100.00');
    expect(text[text.indexOf('Net paid after refunds') + 1]).toBe('INR\u00a0400.00');
    expect(doc.getSubject()).toBe('Payment receipt from Клиника Zoë to Иван 🙂'); // metadata is UTF-16
  });

  it('wraps a long description within its column', async () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`);
    const { pages } = await pdfText(await receiptPdf(receipt([receiptLine(words.join(' '), 1, 1000)])));
    const text = pages[0] ?? [];
    const first = text.findIndex((line) => line.startsWith('word0 '));
    const last = text.findIndex((line) => line.endsWith('word39'));
    expect(last).toBeGreaterThan(first);
    // The wrapped pieces, read in order, are the description (amounts are drawn between them).
    const pieces = text.slice(first, last + 1).filter((line) => line.startsWith('word'));
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.join(' ')).toBe(words.join(' '));
  });

  it('continues a 40-line receipt on a second page, numbered, the totals at the end', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => receiptLine(`Session ${i + 1}: physiotherapy`, 1, 2900));
    const { doc, pages } = await pdfText(await receiptPdf(receipt(lines)));
    expect(doc.getPageCount()).toBe(2);
    const [first = [], second = []] = pages;
    expect(first).toContain('KW-2026-000042  ·  Page 1 of 2');
    expect(second).toContain('KW-2026-000042  ·  Page 2 of 2');
    expect(second).toContain('DESCRIPTION'); // the table header repeats
    for (let i = 1; i <= 40; i++) expect(pages.flat()).toContain(`Session ${i}: physiotherapy`);
    expect(second[second.indexOf('Total paid') + 1]).toBe('€1,160.00');
    expect(second[second.indexOf('VAT 16% (included)') + 1]).toBe('€160.00');
  });
});
