import { z } from '@hono/zod-openapi';
import { PAYMENT_STATUSES } from '../../db/schema';
import { PageQuery } from '../../http/openapi';

/** The longest period an earnings report or a reconciliation export covers, in days. */
export const MAX_PERIOD_DAYS = 366;

const instant = (example: string) => z.iso.datetime({ offset: true }).openapi({ example });
const userId = z.string().min(1).max(64);

export const PaymentListQuery = PageQuery.extend({
  status: z.enum(PAYMENT_STATUSES).optional(),
  payerId: userId.optional().openapi({ description: 'The patient who paid' }),
  payeeId: userId.optional().openapi({ description: 'The doctor (or caregiver) who earns' }),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 code such as EUR')
    .transform((code) => code.toUpperCase())
    .optional()
    .openapi({ example: 'EUR' }),
  dateField: z
    .enum(['createdAt', 'paidAt'])
    .default('createdAt')
    .openapi({ description: 'Which instant `from` and `to` bound: when checkout began, or when paid' }),
  from: instant('2026-12-01T00:00:00Z').optional().openapi({ description: 'Inclusive' }),
  to: instant('2027-01-01T00:00:00Z').optional().openapi({ description: 'Exclusive' }),
});

/** Refuses a period that is empty or longer than MAX_PERIOD_DAYS (422, field `to`). */
function checkPeriod(period: { from: string; to: string }, ctx: z.core.$RefinementCtx) {
  const span = Date.parse(period.to) - Date.parse(period.from);
  if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  else if (span > MAX_PERIOD_DAYS * 86_400_000) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `the period must be at most ${MAX_PERIOD_DAYS} days` });
  }
}

const period = {
  from: instant('2026-12-01T00:00:00Z').openapi({ description: 'Inclusive' }),
  to: instant('2027-01-01T00:00:00Z').openapi({ description: `Exclusive; at most ${MAX_PERIOD_DAYS} days after from` }),
};

export const EarningsQuery = z
  .object({
    ...period,
    groupBy: z.enum(['day', 'month']).default('month').openapi({ description: 'Periods are UTC days or months' }),
    doctorId: userId
      .optional()
      .openapi({ description: "Admins: whose earnings (every payee when absent). A doctor's are always their own." }),
  })
  .superRefine(checkPeriod);

export const ExportQuery = z.object(period).superRefine(checkPeriod);

const totals = {
  currency: z.string(),
  count: z.number().int().openapi({ description: 'Payments paid in the period' }),
  grossCents: z.number().int().openapi({ description: 'What they paid' }),
  refunds: z.number().int().openapi({ description: 'Refunds that succeeded in the period' }),
  refundedCents: z.number().int(),
  netCents: z.number().int().openapi({ description: '`grossCents − refundedCents` (negative when refunds exceed)' }),
};

export const EarningsSchema = z
  .object({
    payeeId: z.string().nullable().openapi({ description: 'Whose earnings; null for every payee (admins)' }),
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(['day', 'month']),
    periods: z.array(z.object({ period: z.string().openapi({ example: '2026-12' }), ...totals })),
    totals: z.array(z.object(totals)),
  })
  .openapi('Earnings', {
    example: {
      payeeId: 'usr_01DEMD0D0CT0R0000000000000',
      from: '2026-12-01T00:00:00.000Z',
      to: '2027-01-01T00:00:00.000Z',
      groupBy: 'month',
      periods: [
        {
          period: '2026-12',
          currency: 'EUR',
          count: 3,
          grossCents: 15000,
          refunds: 1,
          refundedCents: 2500,
          netCents: 12500,
        },
      ],
      totals: [{ currency: 'EUR', count: 3, grossCents: 15000, refunds: 1, refundedCents: 2500, netCents: 12500 }],
    },
  });

export const ReceiptHtml = z.string().openapi({
  description: 'The receipt as a standalone HTML page',
  example: '<!doctype html><html lang="en"><head><title>Receipt KW-2026-000042</title>…',
});

export const ReceiptPdf = z
  .string()
  .openapi({ type: 'string', format: 'binary', description: 'The receipt as a PDF (A4)', example: '(PDF bytes)' });

export const ExportCsv = z.string().openapi({
  description: 'CSV with a header row, UTF-8',
  example:
    'type,id,paymentId,date,amountCents,currency,status,provider,balanceTransactionId,providerReference,subjectType,subjectId,payerId,payeeId,receiptNumber,source,reason\r\n' +
    'payment,pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD,pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD,2026-12-01T08:10:00.000Z,5000,EUR,paid,stripe,txn_3PqK2hLkdIwHu7ix0aB1cD2e,ch_3PqK2hLkdIwHu7ix0aB1cD2e,appointment,apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K,usr_01DEMD0PAT1ENT000000000000,usr_01DEMD0D0CT0R0000000000000,KW-2026-01JF8ZS5,,\r\n',
});
