import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { receiptFileName } from '../../lib/receipts/file-name';
import { PRIVATE_DOWNLOAD_HEADERS } from '../files/files.service';
import { exportPaymentsCsv } from './export.service';
import {
  EarningsQuery,
  EarningsSchema,
  ExportCsv,
  ExportQuery,
  MAX_PERIOD_DAYS,
  PaymentListQuery,
  ReceiptHtml,
  ReceiptPdf,
} from './history.schemas';
import { getEarnings, getPayment, listPayments } from './history.service';
import { PaymentIdParam, PaymentViewSchema } from './payments.schemas';
import { receiptHtmlOf, receiptPdfOf } from './receipts.service';

const tags = ['Payments'];
const notFound = errorOf('No such payment, or not one the caller may see (NOT_FOUND)');
const notPaid = errorOf('The payment is not paid, so it has no receipt (CONFLICT, `details.status`)');

const listRoute = defineRoute({
  method: 'get',
  path: '/payments',
  operationId: 'payments.list',
  tags,
  summary: 'Payment history: my payments, what I earn, or all of them (admins)',
  description:
    'Newest first by the instant `dateField` names. A patient sees the payments they made (payer), a doctor the ' +
    'payments they earn (payee), admins and superadmins every payment; the filters narrow that. Each payment ' +
    'carries its refunds. Card data: brand and last four digits only.',
  request: { query: PaymentListQuery },
  responses: { 200: jsonResponse(pageOf(PaymentViewSchema), 'A page of payments') },
});

const earningsRoute = defineRoute({
  method: 'get',
  path: '/payments/earnings',
  operationId: 'payments.earnings',
  tags,
  summary: 'Earnings per day or month and currency: gross paid, refunded, net, count',
  description:
    `Payments paid in \`[from, to)\` (at most ${MAX_PERIOD_DAYS} days, else 422), grouped by UTC day or month and ` +
    'currency; a refund counts in the period it succeeded. Periods without activity are left out. A doctor reads ' +
    'their own (naming another doctor is 404); admins name a doctor with `doctorId` or read every payee.',
  request: { query: EarningsQuery },
  responses: {
    200: jsonResponse(EarningsSchema, 'Earnings'),
    404: errorOf('Another doctor (NOT_FOUND)'),
  },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/payments/{id}',
  operationId: 'payments.get',
  tags,
  summary: 'One payment with its refunds',
  request: { params: PaymentIdParam },
  responses: { 200: jsonResponse(PaymentViewSchema, 'The payment'), 404: notFound },
});

const receiptHtmlRoute = defineRoute({
  method: 'get',
  path: '/payments/{id}/receipt',
  operationId: 'payments.receipt.html',
  tags,
  summary: "A paid payment's receipt as an HTML page",
  description:
    "The clinic's details (setting `payments.clinic`), the receipt number, billed to the payer, the line item, the " +
    'net amount, the tax line of the rate in force when it was paid (none without one), the total, the card as ' +
    'brand and last four digits, and any refunds. For the payer, the payee and admins.',
  request: { params: PaymentIdParam },
  responses: {
    200: { description: 'The receipt', content: { 'text/html': { schema: ReceiptHtml } } },
    404: notFound,
    409: notPaid,
  },
});

const receiptPdfRoute = defineRoute({
  method: 'get',
  path: '/payments/{id}/receipt.pdf',
  operationId: 'payments.receipt.pdf',
  tags,
  summary: "A paid payment's receipt as a PDF",
  description: 'The same receipt as `GET /payments/{id}/receipt`, as an A4 PDF downloaded as `receipt-<number>.pdf`.',
  request: { params: PaymentIdParam },
  responses: {
    200: {
      description: 'The receipt',
      headers: {
        'Content-Disposition': {
          description: 'attachment; filename="receipt-<receipt number>.pdf"',
          schema: { type: 'string' as const, example: 'attachment; filename="receipt-KW-2026-000042.pdf"' },
        },
      },
      content: { 'application/pdf': { schema: ReceiptPdf } },
    },
    404: notFound,
    409: notPaid,
  },
});

const exportRoute = defineRoute({
  method: 'get',
  path: '/admin/payments/export.csv',
  operationId: 'admin.payments.export',
  tags,
  summary: 'Reconciliation export: payments and refunds of a period (CSV)',
  description:
    `Every payment paid and every refund (asked of the provider) in \`[from, to)\`, at most ${MAX_PERIOD_DAYS} ` +
    'days (else 422), one row each in date order. Columns: `type` (payment|refund), `id`, `paymentId`, `date` ' +
    "(ISO 8601), `amountCents` (a refund's is negative, as in the provider's balance), `currency`, `status`, " +
    "`provider`, `balanceTransactionId` (the key to match the provider's balance report), `providerReference` " +
    '(the charge id of a payment, the provider refund id of a refund), `subjectType`, `subjectId`, `payerId`, ' +
    '`payeeId`, `receiptNumber`, `source` and `reason` (refunds). Text that a spreadsheet would run as a formula ' +
    "is prefixed with `'`.",
  request: { query: ExportQuery },
  responses: {
    200: {
      description: 'The CSV',
      headers: {
        'Content-Disposition': {
          description: 'attachment; filename="payments-<from>-<to>.csv"',
          schema: { type: 'string' as const, example: 'attachment; filename="payments-2026-12-01-2027-01-01.csv"' },
        },
      },
      content: { 'text/csv': { schema: ExportCsv } },
    },
  },
});

const day = (instant: string) => new Date(instant).toISOString().slice(0, 10);

export const paymentsHistoryRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listPayments(c.get('ctx'), c.req.valid('query'))), 200))
  // Before `/payments/{id}`, which would take `earnings` for an id.
  .openapi(earningsRoute, async (c) => c.json(ok(await getEarnings(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(getRoute, async (c) => c.json(ok(await getPayment(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(receiptHtmlRoute, async (c) => {
    const { html } = await receiptHtmlOf(c.get('ctx'), c.req.valid('param').id);
    return new Response(html, {
      headers: { 'content-type': 'text/html; charset=utf-8', ...PRIVATE_DOWNLOAD_HEADERS },
    });
  })
  .openapi(receiptPdfRoute, async (c) => {
    const { number, pdf } = await receiptPdfOf(c.get('ctx'), c.req.valid('param').id);
    return new Response(pdf, {
      headers: {
        'content-type': 'application/pdf',
        'content-disposition': `attachment; filename="${receiptFileName(number)}"`,
        ...PRIVATE_DOWNLOAD_HEADERS,
      },
    });
  })
  .openapi(exportRoute, async (c) => {
    const period = c.req.valid('query');
    const csv = await exportPaymentsCsv(c.get('ctx'), period);
    return new Response(csv, {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="payments-${day(period.from)}-${day(period.to)}.csv"`,
        ...PRIVATE_DOWNLOAD_HEADERS,
      },
    });
  });
