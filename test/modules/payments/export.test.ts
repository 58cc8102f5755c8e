import { eq } from 'drizzle-orm';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { type PaymentRow, payments, type RefundRow } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { EXPORT_COLUMNS } from '../../../src/modules/payments/export.service';
import { client, db } from '../../helpers';
import { insertPaidAppointment, insertRefund } from '../../support/payments';
import { account, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';

/**
 * The reconciliation export through HTTP: a CSV of the payments paid and refunds made in a period,
 * keyed by the provider's balance transaction ids, for appointment managers and superadmins.
 */

const URL = '/api/v1/admin/payments/export.csv';
const clock = fixedClock('2027-03-01T08:00:00Z');
const api = client({ clock });
let slot = 0;

/** Each test uses its own year, so the rows of other tests (shared storage) stay out of its period. */
async function paid(at: string, changes: Partial<PaymentRow> = {}) {
  const now = clock.now();
  const dr = await practice(now);
  const patient = await account('user', now);
  slot += 1;
  const { payment } = await insertPaidAppointment({
    patientId: patient.user.id,
    doctorId: dr.doctor.user.id,
    serviceId: dr.services[0]!.id,
    startsAt: new Date(Date.parse('2027-06-01T00:00:00Z') + slot * 3_600_000).toISOString(),
    paidAt: Date.parse(at),
  });
  if (Object.keys(changes).length) await db.update(payments).set(changes).where(eq(payments.id, payment.id));
  return { ...payment, ...changes };
}

const refund = (payment: PaymentRow, amountCents: number, at: string, changes: Partial<RefundRow> = {}) =>
  insertRefund(payment, amountCents, at, {
    source: 'cancellation',
    reason: 'Cancelled 3 hours before the start (50 %)',
    ...changes,
  });

const parse = (csv: string) => Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true });

describe('GET /admin/payments/export.csv', () => {
  it('Should list the payments paid and refunds made in the period, in date order, with balance transaction ids', async () => {
    const manager = await account('admin', clock.now(), ['appointment-manager']);
    const before = await paid('2024-12-31T23:59:59Z');
    const a = await paid('2025-01-05T10:00:00Z');
    const b = await paid('2025-01-20T10:00:00Z', { currency: 'KES', amountCents: 250000 });
    await paid('2025-01-21T10:00:00Z', { status: 'open', paidAt: null, receiptNumber: null });
    const r1 = await refund(a, 2500, '2025-01-10T10:00:00Z');
    // A refund in the period of a payment made before it; one awaiting approval moved nothing.
    const r2 = await refund(before, 1000, '2025-01-15T10:00:00Z', { source: 'admin', reason: 'Goodwill' });
    await refund(b, 5000, '2025-01-16T10:00:00Z', { status: 'awaiting-approval', refundedAt: null });
    const failed = await refund(b, 7000, '2025-01-25T10:00:00Z', {
      status: 'failed',
      refundedAt: null,
      balanceTransactionId: null,
    });
    await refund(a, 100, '2025-02-01T00:00:00Z');

    const res = await api.get(`${URL}?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z`, { token: manager.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="payments-2025-01-01-2025-02-01.csv"');
    const csv = res.body as string;
    expect(csv.split('\r\n')[0]).toBe(EXPORT_COLUMNS.join(','));
    const { data, errors, meta } = parse(csv);
    expect(errors).toEqual([]);
    expect(meta.fields).toEqual([...EXPORT_COLUMNS]);
    expect(data.map((row) => [row.type, row.id, row.date, row.amountCents, row.currency, row.status])).toEqual([
      ['payment', a.id, '2025-01-05T10:00:00.000Z', '5000', 'EUR', 'paid'],
      ['refund', r1.id, '2025-01-10T10:00:00.000Z', '-2500', 'EUR', 'succeeded'],
      ['refund', r2.id, '2025-01-15T10:00:00.000Z', '-1000', 'EUR', 'succeeded'],
      ['payment', b.id, '2025-01-20T10:00:00.000Z', '250000', 'KES', 'paid'],
      ['refund', failed.id, '2025-01-25T10:00:00.000Z', '-7000', 'KES', 'failed'],
    ]);
    expect(data[0]).toEqual({
      type: 'payment',
      id: a.id,
      paymentId: a.id,
      date: '2025-01-05T10:00:00.000Z',
      amountCents: '5000',
      currency: 'EUR',
      status: 'paid',
      provider: 'stripe',
      balanceTransactionId: a.balanceTransactionId,
      providerReference: a.chargeId,
      subjectType: 'appointment',
      subjectId: a.subjectId,
      payerId: a.payerId,
      payeeId: a.payeeId,
      receiptNumber: a.receiptNumber,
      source: '',
      reason: '',
    });
    expect(data[2]).toMatchObject({
      paymentId: before.id,
      balanceTransactionId: r2.balanceTransactionId,
      providerReference: r2.providerRefundId,
      receiptNumber: before.receiptNumber,
      source: 'admin',
      reason: 'Goodwill',
    });
    expect(data[4]).toMatchObject({ balanceTransactionId: '' });
  });

  it('Should keep a spreadsheet from running a formula typed into a reason or description', async () => {
    const superadmin = await account('superadmin', clock.now());
    const payment = await paid('2023-05-05T10:00:00Z');
    await refund(payment, 100, '2023-05-06T10:00:00Z', { reason: '=HYPERLINK("http://evil.example","x")' });
    const res = await api.get(`${URL}?from=2023-05-01T00:00:00Z&to=2023-06-01T00:00:00Z`, {
      token: superadmin.token,
    });
    expect(res.status).toBe(200);
    const { data } = parse(res.body as string);
    expect(data[1]!.reason).toBe(`'=HYPERLINK("http://evil.example","x")`);
    // Numbers stay numbers: a refund's negative amount is not prefixed.
    expect(data[1]!.amountCents).toBe('-100');
  });

  it('Should answer a header row alone for an empty period', async () => {
    const superadmin = await account('superadmin', clock.now());
    const res = await api.get(`${URL}?from=2001-01-01T00:00:00Z&to=2001-02-01T00:00:00Z`, { token: superadmin.token });
    expect(res.status).toBe(200);
    expect((res.body as string).trim()).toBe(EXPORT_COLUMNS.join(','));
  });

  it('Should refuse a period over 366 days or a missing bound (422), and admins without the sub-role (403)', async () => {
    const manager = await account('admin', clock.now(), ['appointment-manager']);
    const long = await api.get(`${URL}?from=2024-01-01T00:00:00Z&to=2025-01-02T00:00:01Z`, { token: manager.token });
    expect(long.status).toBe(422);
    expect(long.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
    const leap = await api.get(`${URL}?from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z`, { token: manager.token });
    expect(leap.status).toBe(200);
    const missing = await api.get(`${URL}?from=2024-01-01T00:00:00Z`, { token: manager.token });
    expect(missing.status).toBe(422);

    const plainAdmin = await account('admin', clock.now());
    const doctor = await account('doctor', clock.now());
    for (const token of [plainAdmin.token, doctor.token]) {
      const res = await api.get(`${URL}?from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z`, { token });
      expect(res.status).toBe(403);
    }
  });
});
