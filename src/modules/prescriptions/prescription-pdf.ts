import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';
import { pdfSafeText, wrap } from '../../lib/receipts/pdf';
import type { PrescriptionView } from './prescriptions.schemas';

/**
 * A prescription as a printable PDF (A4) with pdf-lib's standard Helvetica fonts, as the receipts are:
 * every text is reduced to what the font encodes (`pdfSafeText`), long texts wrap, and a long list of
 * medications continues on a new page.
 */

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 50;
const WIDTH = A4[0] - 2 * MARGIN;
const SIZE = 10;
const LEADING = 14;
const INK = rgb(0.12, 0.16, 0.22);
const MUTED = rgb(0.42, 0.45, 0.5);

const frequencyText = (m: PrescriptionView['medications'][number]) =>
  'times' in m.frequency
    ? `at ${m.frequency.times.join(', ')}`
    : `${m.frequency.timesPerDay} time${m.frequency.timesPerDay === 1 ? '' : 's'} a day (${m.timesOfDay.join(', ')})`;

/** The PDF bytes of a prescription as its patient or doctor reads it. */
export async function prescriptionPdf(rx: PrescriptionView): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const created = new Date(rx.createdAt);
  doc.setTitle(`Prescription ${rx.id}`, { showInWindowTitleBar: true });
  doc.setProducer('Kinwell');
  doc.setCreator('Kinwell');
  doc.setLanguage('en');
  doc.setCreationDate(created);
  doc.setModificationDate(created);

  let page: PDFPage = doc.addPage(A4);
  let y = A4[1] - MARGIN;
  const line = (text: string, opts: { font?: PDFFont; size?: number; color?: typeof INK; indent?: number } = {}) => {
    const font = opts.font ?? regular;
    const size = opts.size ?? SIZE;
    const indent = opts.indent ?? 0;
    for (const part of wrap(pdfSafeText(text, font), font, size, WIDTH - indent)) {
      if (y < MARGIN + LEADING) {
        page = doc.addPage(A4);
        y = A4[1] - MARGIN;
      }
      page.drawText(part, { x: MARGIN + indent, y, size, font, color: opts.color ?? INK });
      y -= size + 4;
    }
  };

  line('Prescription', { font: bold, size: 18 });
  y -= 6;
  line(`Doctor: ${rx.doctorName ?? rx.doctorId}`);
  line(`Patient: ${rx.patientName ?? rx.patientId}`);
  line(`Date: ${rx.startDate} (${rx.timeZone})`);
  line(`Valid until: ${rx.medications.reduce((last, m) => (m.lastDate > last ? m.lastDate : last), rx.startDate)}`);
  line(`Status: ${rx.status}`, { color: MUTED });
  line(`Reference: ${rx.id}`, { color: MUTED });
  y -= LEADING;
  line('Medications', { font: bold, size: 13 });
  y -= 2;
  rx.medications.forEach((m, i) => {
    y -= 4;
    line(`${i + 1}. ${m.name} ${m.dosage}`, { font: bold });
    line(`${frequencyText(m)}, for ${m.duration.days} day${m.duration.days === 1 ? '' : 's'} (until ${m.lastDate})`, {
      indent: 14,
    });
    if (m.instructions) line(m.instructions, { indent: 14, color: MUTED });
  });
  if (rx.notes) {
    y -= LEADING;
    line('Notes', { font: bold, size: 13 });
    line(rx.notes);
  }
  if (rx.status === 'deleted') {
    y -= LEADING;
    line(`Withdrawn by the doctor: ${rx.deleteReason ?? ''}`, { font: bold });
  }
  return doc.save();
}
