import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFY_DELIVER } from '../../../src/access/notices';
import { createContext } from '../../../src/context';
import { devOutbox, notifications, type PaymentRow, payments, userProfiles, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { fromBase64Url } from '../../../src/lib/ids';
import { noticeReceipt } from '../../../src/modules/payments/receipts.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, recordingFetch, testEnv, uniqueId } from '../../helpers';
import { capturingQueue, deliveriesOf, runQueue } from '../../support/notifications';
import { insertPaidAppointment, insertRefund } from '../../support/payments';
import { pdfText } from '../../support/pdf';
import { account, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { resetSettings, setSetting } from '../../support/settings';

/**
 * Receipts through HTTP (HTML and PDF) for the payer, the payee and admins, built from the payment's
 * own tax snapshot and the clinic setting; and the `payment.receipt` notice emailing the PDF.
 */

const P = '/api/v1/payments';
const clock = fixedClock('2026-12-20T08:00:00Z');
const queue = capturingQueue();
const api = client({ clock, adapters: queue.adapters });
const CLINIC = {
  name: 'Nairobi Wellness Clinic',
  addressLines: ['12 Kenyatta Avenue', 'Nairobi', 'Kenya'],
  email: 'billing@nairobi.example',
  phone: '+254 20 123 4567',
  taxId: 'P051234567X',
};
let slot = 0;

afterEach(resetSettings);

/** A paid visit of 116.00 KES with 16 % VAT contained (or no tax snapshot with `tax: false`). */
async function paidVisit(tax = true, changes: Partial<PaymentRow> = {}) {
  const now = clock.now();
  const dr = await practice(now);
  const patient = await account('user', now);
  await db.update(users).set({ name: 'Wanjiru Kamau' }).where(eq(users.id, patient.user.id));
  await db
    .insert(userProfiles)
    .values({ userId: patient.user.id, timeZone: 'Africa/Nairobi', updatedAt: now.getTime() });
  slot += 1;
  const { payment } = await insertPaidAppointment({
    patientId: patient.user.id,
    doctorId: dr.doctor.user.id,
    serviceId: dr.services[0]!.id,
    startsAt: new Date(Date.parse('2027-01-04T00:00:00Z') + slot * 3_600_000).toISOString(),
    priceCents: 11600,
    paidAt: Date.parse('2026-12-01T09:30:00Z'),
  });
  const snapshot = { currency: 'KES', ...(tax ? { taxRateBps: 1600, taxLabel: 'VAT' } : {}), ...changes };
  await db.update(payments).set(snapshot).where(eq(payments.id, payment.id));
  return { dr, patient, payment: { ...payment, ...snapshot } as PaymentRow };
}

/** A GET whose body is kept as bytes (the test client reads non-JSON bodies as text). */
async function download(path: string, token: string) {
  const execution = createExecutionContext();
  const res = await api.app.request(path, { headers: { authorization: `Bearer ${token}` } }, testEnv, execution);
  const bytes = new Uint8Array(await res.arrayBuffer());
  await waitOnExecutionContext(execution);
  return { res, bytes };
}

describe('GET /payments/{id}/receipt', () => {
  it('Should render the HTML receipt: clinic, payer, line, net, the snapshotted tax line, total, card brand and last four', async () => {
    await setSetting('payments.clinic', CLINIC);
    // The setting says 8 % now; the receipt keeps the 16 % the payment was made under.
    await setSetting('payments.taxRates', { KES: { label: 'VAT', rateBps: 800 } });
    const { dr, patient, payment } = await paidVisit();
    const admin = await account('admin', clock.now());
    for (const token of [patient.token, dr.doctor.token, admin.token]) {
      const res = await api.get(`${P}/${payment.id}/receipt`, { token });
      expect(res.status).toBe(200);
      expect(tripsOf(res)).toBe(1);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = res.body as string;
      for (const text of [
        'Nairobi Wellness Clinic',
        '12 Kenyatta Avenue',
        'P051234567X',
        payment.receiptNumber!,
        'Wanjiru Kamau',
        'Consultation 30 min',
        'VAT 16% (included)',
        'Visa •••• 4242',
      ]) {
        expect(html).toContain(text);
      }
      // 116.00 paid, of which 16.00 VAT, 100.00 net.
      expect(html).toMatch(/Net amount \(excl\. tax\)<\/td><td class="num">KES\s100\.00/);
      expect(html).toMatch(/VAT 16% \(included\)<\/td><td class="num">KES\s16\.00/);
      expect(html).toMatch(/Total paid<\/td><td class="num">KES\s116\.00/);
      expect(html).not.toContain('8%');
      expect(html).not.toContain(payment.chargeId!);
      expect(html).not.toContain(payment.balanceTransactionId!);
    }
  });

  it('Should print no tax line for a payment made without a tax rate, and list its refunds', async () => {
    const { patient, payment } = await paidVisit(false);
    const at = Date.parse('2026-12-05T10:00:00Z');
    await insertRefund(payment, 1600, at, {}, { countOnPayment: true });
    const res = await api.get(`${P}/${payment.id}/receipt`, { token: patient.token });
    expect(res.status).toBe(200);
    const html = res.body as string;
    expect(html).not.toContain('(included)');
    expect(html).toMatch(/Net amount \(excl\. tax\)<\/td><td class="num">KES\s116\.00/);
    expect(html).toMatch(/Net paid after refunds<\/td><td class="num">KES\s100\.00/);
  });

  it('Should answer 409 CONFLICT for an unpaid payment and 404 to anyone but its payer, payee and admins', async () => {
    const { patient, payment } = await paidVisit(true, { status: 'open', paidAt: null, receiptNumber: null });
    const open = await api.get(`${P}/${payment.id}/receipt`, { token: patient.token });
    expect(open.status).toBe(409);
    expect(open.body.error).toMatchObject({ code: 'CONFLICT', details: { status: 'open' } });
    const pdf = await api.get(`${P}/${payment.id}/receipt.pdf`, { token: patient.token });
    expect(pdf.status).toBe(409);

    const paid = await paidVisit();
    const stranger = await account('user', clock.now());
    const otherDoctor = await practice(clock.now());
    for (const token of [stranger.token, otherDoctor.doctor.token]) {
      for (const path of ['receipt', 'receipt.pdf']) {
        const res = await api.get(`${P}/${paid.payment.id}/${path}`, { token });
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
    }
  });
});

describe('GET /payments/{id}/receipt.pdf', () => {
  it('Should download a PDF that parses and carries the receipt number and the right totals', async () => {
    await setSetting('payments.clinic', CLINIC);
    const { patient, payment } = await paidVisit();
    const { res, bytes } = await download(`${P}/${payment.id}/receipt.pdf`, patient.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="receipt-${payment.receiptNumber}.pdf"`);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(tripsOf({ status: res.status, headers: res.headers, body: null })).toBe(1);
    const { doc, pages } = await pdfText(bytes);
    expect(doc.getTitle()).toBe(`Receipt ${payment.receiptNumber}`);
    const lines = pages.flat();
    for (const text of [
      'Nairobi Wellness Clinic',
      payment.receiptNumber!,
      'Wanjiru Kamau',
      'VAT 16% (included)',
      'Visa •••• 4242',
    ]) {
      expect(lines).toContain(text);
    }
    const amountAfter = (label: string) => lines[lines.indexOf(label) + 1];
    expect(amountAfter('Net amount (excl. tax)')).toMatch(/^KES\s100\.00$/);
    expect(amountAfter('VAT 16% (included)')).toMatch(/^KES\s16\.00$/);
    expect(amountAfter('Total paid')).toMatch(/^KES\s116\.00$/);
    expect(lines.join('\n')).not.toContain(payment.chargeId!);
  });
});

describe('noticeReceipt', () => {
  it('Should email the payer the receipt with its PDF attached, once, in their language', async () => {
    await setSetting('payments.clinic', CLINIC);
    const { patient, payment } = await paidVisit();
    await db.update(userProfiles).set({ preferredLanguage: 'sw' }).where(eq(userProfiles.userId, patient.user.id));
    const deferred: Promise<unknown>[] = [];
    const ctx = createContext(
      testEnv,
      { ...cloudflareDeps, clock, adapters: queue.adapters },
      { requestId: uniqueId('req'), waitUntil: (task) => deferred.push(task) },
    );
    await noticeReceipt(ctx, payment.id);
    await noticeReceipt(ctx, payment.id);
    await Promise.all(deferred);
    const jobs = queue.take(NOTIFY_DELIVER);
    expect(jobs.map((job) => (job.payload as { recipientId: string }).recipientId)).toEqual([
      patient.user.id,
      patient.user.id,
    ]);

    // The email provider's API (production adapters over a fetch double) receives the PDF's bytes.
    const provider = recordingFetch(() => Response.json({ id: 're_receipt' }));
    const env = { ENVIRONMENT: 'production', EMAIL_API_KEY: 'test-key', EMAIL_FROM: 'Kinwell <no-reply@kinwell.test>' };
    await runQueue(jobs, { deps: { clock, fetch: provider.fetch }, env });

    // Twice asked, once sent: the ledger's key is (payment, payment.receipt, payer, channel).
    expect(provider.requests).toHaveLength(1);
    const email = (await provider.requests[0]!.json()) as {
      to: string[];
      subject: string;
      text: string;
      attachments: { filename: string; content: string; content_type: string }[];
    };
    expect(email.to).toEqual([patient.user.email]);
    expect(email.subject).toBe(`Kinwell: Risiti yako ${payment.receiptNumber} kutoka Nairobi Wellness Clinic`);
    expect(email.text).toContain('Visa •••• 4242');
    expect(email.attachments).toEqual([
      {
        filename: `receipt-${payment.receiptNumber}.pdf`,
        content_type: 'application/pdf',
        content: expect.any(String),
      },
    ]);
    const lines = (await pdfText(fromBase64Url(email.attachments[0]!.content))).pages.flat();
    expect(lines).toContain(payment.receiptNumber);
    expect(lines[lines.indexOf('Total paid') + 1]).toMatch(/^KES\s116\.00$/);

    const ledger = await deliveriesOf(patient.user.id);
    expect(ledger.email).toMatchObject({
      kind: 'payment.receipt',
      subjectType: 'payment',
      subjectId: payment.id,
      status: 'sent',
    });
    const [inbox] = await db.select().from(notifications).where(eq(notifications.userId, patient.user.id)).all();
    expect(inbox).toMatchObject({ type: 'system', title: 'Asante kwa malipo yako' });
  });

  it('Should put the receipt email with its PDF in the development outbox', async () => {
    const { patient, payment } = await paidVisit();
    const deferred: Promise<unknown>[] = [];
    const ctx = createContext(
      testEnv,
      { ...cloudflareDeps, clock, adapters: queue.adapters },
      { requestId: uniqueId('req'), waitUntil: (task) => deferred.push(task) },
    );
    await noticeReceipt(ctx, payment.id);
    await Promise.all(deferred);
    await runQueue(queue.take(NOTIFY_DELIVER), { deps: { clock } });
    const [email, ...more] = await db
      .select()
      .from(devOutbox)
      .where(eq(devOutbox.recipient, patient.user.email!))
      .all();
    expect(more).toEqual([]);
    expect(email!.subject).toBe(`Kinwell: Your receipt ${payment.receiptNumber} from Kinwell Health`);
    expect(email!.body).toContain('We received your payment of KES');
    expect(email!.attachments).toEqual([
      { filename: `receipt-${payment.receiptNumber}.pdf`, contentType: 'application/pdf', size: expect.any(Number) },
    ]);
    expect(email!.attachments![0]!.size).toBeGreaterThan(1000);
  });

  it('Should refuse an unpaid payment (CONFLICT) and notify nobody', async () => {
    const { payment } = await paidVisit(true, { status: 'processing', paidAt: null, receiptNumber: null });
    const ctx = createContext(testEnv, { ...cloudflareDeps, clock, adapters: queue.adapters }, { requestId: 'req_x' });
    await expect(noticeReceipt(ctx, payment.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(queue.take(NOTIFY_DELIVER)).toEqual([]);
  });
});
