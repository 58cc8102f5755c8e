/**
 * A receipt as a PDF (A4), made with pdf-lib: pure JavaScript, so it runs in the Workers runtime.
 *
 * The PDF uses the standard Helvetica fonts, which are not embedded and encode only WinAnsi (Latin-1
 * plus a few signs such as € and •). Text a user typed may hold anything (Cyrillic, CJK, emoji), so
 * every string is reduced to what the font can encode, each other character becoming '?': a receipt
 * for "Иван" prints "????" rather than failing. Embedding a Unicode font would need fontkit and a
 * font file of several megabytes in the Worker; the HTML receipt shows every name exactly.
 */
import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';
import { formatMoney } from '../money';
import { type ReceiptContent, type Row, receiptContent } from './content';
import type { Receipt } from './receipt';

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 50;
const BOTTOM = 64; // above the footer
const RIGHT = A4[0] - MARGIN;
const SIZE = 9.5;
const LEADING = 13;
const INK = rgb(0.12, 0.16, 0.22);
const MUTED = rgb(0.42, 0.45, 0.5);
const RULE = rgb(0.82, 0.84, 0.86);

/** Header: the clinic on the left; receipt facts (label, then value right-aligned, wide enough for a date). */
const HEADER = { clinicWidth: 220, label: MARGIN + 230, value: MARGIN + 230 + 72 };

/** Columns of the line-items table: description wraps, the numbers are right-aligned at these edges. */
const COL = { description: MARGIN, descriptionWidth: 265, quantity: 370, unit: 460, total: RIGHT };

// Spaces Intl or users may produce that WinAnsi lacks, and line breaks (a PDF text line has none).
const SPACES = /[\t\n\r\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/g;

/**
 * `text` reduced to what `font` can encode: composed (NFC) so "e + ◌́" becomes "é", odd spaces and
 * line breaks become plain spaces, and each code point the font lacks becomes '?'.
 */
export function pdfSafeText(text: string, font: PDFFont): string {
  const supported = charset(font);
  let out = '';
  for (const ch of text.normalize('NFC').replace(SPACES, ' ')) {
    out += supported.has(ch.codePointAt(0) ?? 0) ? ch : '?';
  }
  return out;
}

const charsets = new WeakMap<PDFFont, Set<number>>();
function charset(font: PDFFont): Set<number> {
  let set = charsets.get(font);
  if (!set) {
    set = new Set(font.getCharacterSet());
    charsets.set(font, set);
  }
  return set;
}

/** Splits `text` into lines no wider than `width`; a word longer than a line is broken between characters. */
export function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const fits = (s: string) => font.widthOfTextAtSize(s, size) <= width;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter((w) => w.length > 0)) {
    const candidate = line ? `${line} ${word}` : word;
    if (fits(candidate)) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    line = '';
    for (const ch of word) {
      if (line && !fits(line + ch)) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** Places text top to bottom, starting a new page (and calling `onPage`) when a block does not fit. */
class Layout {
  page!: PDFPage;
  y = 0;
  onPage: (() => void) | null = null;

  constructor(
    readonly doc: PDFDocument,
    readonly regular: PDFFont,
    readonly bold: PDFFont,
  ) {
    this.newPage();
  }

  newPage(): void {
    this.page = this.doc.addPage(A4);
    this.y = A4[1] - MARGIN;
    this.onPage?.();
  }

  /** Makes room for `height` points on this page, or moves to the next one. */
  ensure(height: number): void {
    if (this.y - height < BOTTOM) this.newPage();
  }

  /** Draws one line whose top is at y; `x` is the left edge, or the right edge when `right`. */
  text(
    value: string,
    x: number,
    y: number,
    opts: { font?: PDFFont; size?: number; right?: boolean; color?: typeof INK } = {},
  ) {
    const font = opts.font ?? this.regular;
    const size = opts.size ?? SIZE;
    const left = opts.right ? x - font.widthOfTextAtSize(value, size) : x;
    this.page.drawText(value, { x: left, y: y - size, font, size, color: opts.color ?? INK });
  }

  rule(y: number, thickness = 0.75): void {
    this.page.drawLine({ start: { x: MARGIN, y }, end: { x: RIGHT, y }, thickness, color: RULE });
  }

  /** A section heading, kept on the page of at least `following` points of what comes after it. */
  heading(title: string, following: number): void {
    this.ensure(LEADING + 8 + following);
    this.y -= 8;
    this.text(title.toUpperCase(), MARGIN, this.y, { font: this.bold, size: 8.5, color: MUTED });
    this.y -= LEADING + 2;
  }

  /** Label on the left, value right-aligned, one row (wrapping the label) per entry. */
  rows(rows: Row[], x: number, opts: { boldLast?: boolean } = {}): void {
    rows.forEach(([label, value], i) => {
      const strong = opts.boldLast && i === rows.length - 1;
      const font = strong ? this.bold : this.regular;
      const valueWidth = font.widthOfTextAtSize(value, SIZE);
      const labelLines = wrap(label, font, SIZE, Math.max(60, RIGHT - x - valueWidth - 12));
      this.ensure(labelLines.length * LEADING + 4);
      if (strong)
        this.page.drawLine({
          start: { x, y: this.y + 2 },
          end: { x: RIGHT, y: this.y + 2 },
          thickness: 1.2,
          color: INK,
        });
      labelLines.forEach((line, j) => {
        this.text(line, x, this.y - j * LEADING, { font, color: strong ? INK : MUTED });
      });
      this.text(value, RIGHT, this.y, { font, right: true });
      this.y -= labelLines.length * LEADING + 4;
    });
  }
}

/** The receipt's text with every string reduced to what Helvetica can encode. */
function safeContent(receipt: Receipt, font: PDFFont): ReceiptContent {
  const safe = (s: string) => pdfSafeText(s, font);
  // A currency symbol WinAnsi lacks (₹, ₦) would print as '?': such amounts use the ISO code instead.
  const money = (cents: number) => {
    const symbol = formatMoney(cents, receipt.currency);
    return safe(symbol) === symbol.replace(SPACES, ' ')
      ? safe(symbol)
      : safe(formatMoney(cents, receipt.currency, 'en', 'code'));
  };
  const c = receiptContent(receipt, money);
  const rows = (list: Row[]): Row[] => list.map(([label, value]) => [safe(label), safe(value)]);
  return {
    title: c.title,
    number: safe(c.number),
    clinic: { name: safe(c.clinic.name), details: c.clinic.details.map(safe) },
    facts: rows(c.facts),
    billedTo: c.billedTo.map(safe),
    lines: c.lines.map((l) => ({
      description: safe(l.description),
      quantity: safe(l.quantity),
      unit: l.unit,
      total: l.total,
    })),
    totals: rows(c.totals),
    payment: rows(c.payment),
    refunds: c.refunds.map((r) => ({ date: safe(r.date), amount: r.amount, status: safe(r.status) })),
    netPaid: c.netPaid ? [safe(c.netPaid[0]), c.netPaid[1]] : null,
  };
}

/**
 * The receipt as a PDF: A4 pages with the same content as `receiptHtml` (clinic details, number,
 * dates in the receipt's zone, billed-to, line items with long descriptions wrapped, net, tax lines,
 * total, card brand and last four, refunds, net paid), continuing on further pages (table header
 * repeated) when the lines do not fit, each page numbered. Metadata: title `Receipt <number>`,
 * producer and creator 'Kinwell', creation and modification dates = `issuedAt`, so the same receipt
 * always gives the same bytes. Never throws on a name the font cannot encode (see the module note).
 * @throws RangeError when the receipt's amounts do not add up.
 */
export async function receiptPdf(receipt: Receipt): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const c = safeContent(receipt, regular);
  const issued = new Date(receipt.issuedAt);
  doc.setTitle(c.title, { showInWindowTitleBar: true });
  doc.setSubject(`Payment receipt from ${receipt.clinic.name} to ${receipt.billedTo.name}`);
  doc.setAuthor(receipt.clinic.name);
  doc.setProducer('Kinwell');
  doc.setCreator('Kinwell');
  doc.setLanguage('en');
  doc.setCreationDate(issued);
  doc.setModificationDate(issued);

  const at = new Layout(doc, regular, bold);
  drawHeader(at, c);
  drawLines(at, c);
  at.y -= 6;
  at.rows(c.totals, 300, { boldLast: true });

  at.heading('Payment', LEADING * 2);
  at.rows(c.payment, MARGIN);

  if (c.refunds.length > 0) {
    at.heading('Refunds', LEADING * 2);
    for (const refund of c.refunds) {
      at.ensure(LEADING + 4);
      at.text(refund.date, MARGIN, at.y);
      at.text(refund.status, 330, at.y);
      at.text(refund.amount, RIGHT, at.y, { right: true });
      at.y -= LEADING + 4;
    }
    if (c.netPaid) at.rows([c.netPaid], 300, { boldLast: true });
  }

  const pages = doc.getPages();
  pages.forEach((page, i) => {
    const footer = `${c.number}  ·  Page ${i + 1} of ${pages.length}`;
    page.drawText(footer, { x: MARGIN, y: MARGIN - 14, size: 8, font: regular, color: MUTED });
  });
  return doc.save();
}

function drawHeader(at: Layout, c: ReceiptContent): void {
  const top = at.y;
  // Left: the clinic. Right: what this receipt is.
  let left = top;
  for (const line of wrap(c.clinic.name, at.bold, 16, HEADER.clinicWidth)) {
    at.text(line, MARGIN, left, { font: at.bold, size: 16 });
    left -= 20;
  }
  for (const detail of c.clinic.details) {
    for (const line of wrap(detail, at.regular, SIZE, HEADER.clinicWidth)) {
      at.text(line, MARGIN, left, { color: MUTED });
      left -= LEADING;
    }
  }
  let right = top;
  at.text('RECEIPT', RIGHT, right, { font: at.bold, size: 16, right: true });
  right -= 24;
  for (const [label, value] of c.facts) {
    at.text(label, HEADER.label, right, { color: MUTED });
    for (const line of wrap(value, at.regular, SIZE, RIGHT - HEADER.value)) {
      at.text(line, RIGHT, right, { right: true });
      right -= LEADING;
    }
    right -= 2;
  }
  at.y = Math.min(left, right) - 8;
  at.heading('Billed to', LEADING);
  for (const line of c.billedTo.flatMap((l) => wrap(l, at.regular, SIZE, RIGHT - MARGIN))) {
    at.ensure(LEADING);
    at.text(line, MARGIN, at.y);
    at.y -= LEADING;
  }
}

function drawLines(at: Layout, c: ReceiptContent): void {
  const tableHeader = () => {
    at.y -= 4;
    const head = { font: at.bold, size: 8.5, color: MUTED };
    at.text('DESCRIPTION', COL.description, at.y, head);
    at.text('QTY', COL.quantity, at.y, { ...head, right: true });
    at.text('UNIT PRICE', COL.unit, at.y, { ...head, right: true });
    at.text('AMOUNT', COL.total, at.y, { ...head, right: true });
    at.y -= LEADING + 2;
    at.rule(at.y + 2, 1.2);
    at.y -= 4;
  };
  at.y -= 8;
  at.ensure(LEADING * 3);
  tableHeader();
  at.onPage = tableHeader;
  for (const line of c.lines) {
    const description = wrap(line.description, at.regular, SIZE, COL.descriptionWidth);
    at.ensure(description.length * LEADING + 6);
    description.forEach((text, i) => {
      at.text(text, COL.description, at.y - i * LEADING);
    });
    at.text(line.quantity, COL.quantity, at.y, { right: true });
    at.text(line.unit, COL.unit, at.y, { right: true });
    at.text(line.total, COL.total, at.y, { right: true });
    at.y -= description.length * LEADING + 4;
    at.rule(at.y + 1);
    at.y -= 2;
  }
  at.onPage = null;
}
