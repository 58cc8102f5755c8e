import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, idParam, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { startBroadcast } from './broadcast.service';
import { listDeliveries, redriveDelivery } from './deliveries.service';
import { BroadcastAcceptedSchema, BroadcastBody, DeliveryListQuery, DeliverySchema } from './notifications.schemas';

const tags = ['Notification delivery'];

const listRoute = defineRoute({
  method: 'get',
  path: '/admin/deliveries',
  operationId: 'admin.deliveries.list',
  tags,
  summary: 'The delivery ledger: every notice per recipient and channel, most recently changed first',
  description:
    '`status=failed` lists the deliveries the queue gave up on, each with its last error and the dead-lettered job a re-drive sends again. `skipped` ones say why (`skipReason`: `preference-off`, `no-email`, `no-phone`, `no-device`, `push-not-configured`).',
  request: { query: DeliveryListQuery },
  responses: { 200: jsonResponse(pageOf(DeliverySchema), 'A page of deliveries') },
});

const redriveRoute = defineRoute({
  method: 'post',
  path: '/admin/deliveries/{id}/redrive',
  operationId: 'admin.deliveries.redrive',
  tags,
  summary: 'Send a failed delivery again',
  description:
    'Enqueues the failed job again for this delivery’s channel only; the delivery is `queued` until the queue marks it `sent` (or `failed` again). Audited.',
  request: { params: idParam('dlv', 'delivery') },
  responses: {
    202: jsonResponse(DeliverySchema, 'Re-enqueued'),
    404: errorOf('No such delivery (NOT_FOUND)'),
    409: errorOf('Not failed (INVALID_TRANSITION, `details.status`), or its failed job is no longer kept (CONFLICT)'),
  },
});

const broadcastRoute = defineRoute({
  method: 'post',
  path: '/admin/notifications',
  operationId: 'admin.notifications.broadcast',
  tags,
  summary: 'Send a system or custom notification to one account, a role, or everyone',
  description:
    'Answers at once with the broadcast id: the queue fans the notification out page by page, one delivery per recipient on each channel their preferences allow for `category` (`system` by default; `marketing` reaches only those who opted in). A role or everyone reaches active and pending accounts; one named account is reached unless removed (404). Audited.',
  bodyLimit: 16 * 1024,
  request: { body: jsonBody(BroadcastBody) },
  responses: {
    202: jsonResponse(BroadcastAcceptedSchema, 'Accepted; delivery runs in the queue'),
    404: errorOf('The named account does not exist (NOT_FOUND)'),
  },
});

export const notificationsAdminRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listDeliveries(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(redriveRoute, async (c) =>
    c.json(ok(await redriveDelivery(c.get('ctx'), c.req.valid('param').id), 'Delivery re-enqueued'), 202),
  )
  .openapi(broadcastRoute, async (c) =>
    c.json(ok(await startBroadcast(c.get('ctx'), c.req.valid('json')), 'Notification accepted for delivery'), 202),
  );
