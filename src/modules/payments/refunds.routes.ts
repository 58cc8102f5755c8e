import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { PaymentIdParam, RefundViewSchema } from './payments.schemas';
import { approveRefund, listRefunds, rejectRefund, requestRefund } from './refund-requests.service';
import { RefundDecisionBody, RefundIdParam, RefundListQuery, RefundRequestBody } from './refunds.schemas';

const tags = ['Payments'];
const BODY_LIMIT = 8 * 1024;
const decisionBody = { ...jsonBody(RefundDecisionBody), required: false };
const notAwaiting = errorOf(
  'Not awaiting approval (INVALID_TRANSITION, `details.status`), or another admin decided it first',
);
const requester = errorOf(
  'Not allowed: the role or sub-role, or the caller requested this refund (FORBIDDEN: a second admin decides)',
);

const requestRoute = defineRoute({
  method: 'post',
  path: '/admin/payments/{id}/refunds',
  operationId: 'admin.payments.refunds.create',
  tags,
  summary: 'Refund all or part of a paid payment',
  description:
    'Refunds `amountCents` (at most what is paid and not yet refunded, refunding or awaiting approval) with a reason. At or below the setting `payments.refundApprovalCents` the refund is `pending` and sent to the provider right after the answer (its state then shows on the refund, the payment and the appointment); above it, it is `awaiting-approval` and nothing moves until a second admin approves it (POST /admin/refunds/{id}/approve). Audited.',
  bodyLimit: BODY_LIMIT,
  request: { params: PaymentIdParam, body: jsonBody(RefundRequestBody) },
  responses: {
    201: jsonResponse(RefundViewSchema, 'The refund, `pending` or `awaiting-approval`'),
    404: errorOf('No such payment (NOT_FOUND)'),
    409: errorOf(
      'The payment is not paid (INVALID_TRANSITION, `details.status`), or another refund of it was made meanwhile (CONFLICT)',
    ),
  },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/admin/refunds',
  operationId: 'admin.refunds.list',
  tags,
  summary: 'Refunds, newest first',
  description:
    '`status=awaiting-approval` is the approval queue: refunds above `payments.refundApprovalCents` waiting for a second admin. `paymentId` narrows to one payment.',
  request: { query: RefundListQuery },
  responses: { 200: jsonResponse(pageOf(RefundViewSchema), 'A page of refunds') },
});

const approveRoute = defineRoute({
  method: 'post',
  path: '/admin/refunds/{id}/approve',
  operationId: 'admin.refunds.approve',
  tags,
  summary: 'Approve a refund awaiting approval',
  description:
    'By an admin other than the one who asked for it. The refund becomes `pending` and is sent to the provider right after the answer. Audited with the optional reason.',
  bodyLimit: BODY_LIMIT,
  request: { params: RefundIdParam, body: decisionBody },
  responses: {
    200: jsonResponse(RefundViewSchema, 'Approved: the refund is `pending`'),
    403: requester,
    404: errorOf('No such refund (NOT_FOUND)'),
    409: notAwaiting,
  },
});

const rejectRoute = defineRoute({
  method: 'post',
  path: '/admin/refunds/{id}/reject',
  operationId: 'admin.refunds.reject',
  tags,
  summary: 'Reject a refund awaiting approval',
  description:
    'By an admin other than the one who asked for it. The refund becomes `rejected`, nothing is sent, and its amount may be refunded again. Audited with the optional reason.',
  bodyLimit: BODY_LIMIT,
  request: { params: RefundIdParam, body: decisionBody },
  responses: {
    200: jsonResponse(RefundViewSchema, 'Rejected'),
    403: requester,
    404: errorOf('No such refund (NOT_FOUND)'),
    409: notAwaiting,
  },
});

export const refundsRouter = createRouter()
  .openapi(requestRoute, async (c) => {
    const refund = await requestRefund(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    const message = refund.status === 'pending' ? 'Refund sent' : 'Refund awaiting a second admin’s approval';
    return c.json(ok(refund, message), 201);
  })
  .openapi(listRoute, async (c) => c.json(ok(await listRefunds(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(approveRoute, async (c) =>
    c.json(
      ok(await approveRefund(c.get('ctx'), c.req.valid('param').id, c.req.valid('json') ?? {}), 'Refund approved'),
      200,
    ),
  )
  .openapi(rejectRoute, async (c) =>
    c.json(
      ok(await rejectRefund(c.get('ctx'), c.req.valid('param').id, c.req.valid('json') ?? {}), 'Refund rejected'),
      200,
    ),
  );
