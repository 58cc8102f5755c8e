import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, idParam, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { deleteNotification, listNotifications, markAllRead, markRead, unreadCount } from './inbox.service';
import {
  DeletedNotificationSchema,
  InboxQuery,
  MarkedAllSchema,
  NotificationSchema,
  UnreadCountSchema,
} from './notifications.schemas';

const tags = ['Notifications'];
const NotificationIdParam = idParam('ntf', 'notification');
const notFound = errorOf('No such notification of mine (NOT_FOUND)');

const listRoute = defineRoute({
  method: 'get',
  path: '/notifications',
  operationId: 'notifications.list',
  tags,
  summary: 'My in-app notifications, newest first',
  description:
    'Filter with `unread=true` (or `false` for read ones) and `type`. A new notification is also pushed to open sockets as `notification:new` with the unread count.',
  request: { query: InboxQuery },
  responses: { 200: jsonResponse(pageOf(NotificationSchema), 'A page of notifications') },
});

const countRoute = defineRoute({
  method: 'get',
  path: '/notifications/unread-count',
  operationId: 'notifications.unreadCount',
  tags,
  summary: 'How many of my notifications are unread (the badge)',
  responses: { 200: jsonResponse(UnreadCountSchema, 'The unread count') },
});

const readRoute = defineRoute({
  method: 'post',
  path: '/notifications/{id}/read',
  operationId: 'notifications.read',
  tags,
  summary: 'Mark one of my notifications read',
  description: 'Marking a read notification again keeps its first `readAt`.',
  request: { params: NotificationIdParam },
  responses: { 200: jsonResponse(NotificationSchema, 'The notification, read'), 404: notFound },
});

const readAllRoute = defineRoute({
  method: 'post',
  path: '/notifications/read-all',
  operationId: 'notifications.readAll',
  tags,
  summary: 'Mark all my notifications read',
  responses: { 200: jsonResponse(MarkedAllSchema, 'How many were unread') },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/notifications/{id}',
  operationId: 'notifications.delete',
  tags,
  summary: 'Delete one of my notifications',
  request: { params: NotificationIdParam },
  responses: { 200: jsonResponse(DeletedNotificationSchema, 'Deleted'), 404: notFound },
});

export const notificationsRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listNotifications(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(countRoute, async (c) => c.json(ok(await unreadCount(c.get('ctx'))), 200))
  .openapi(readAllRoute, async (c) => c.json(ok(await markAllRead(c.get('ctx')), 'Notifications marked read'), 200))
  .openapi(readRoute, async (c) =>
    c.json(ok(await markRead(c.get('ctx'), c.req.valid('param').id), 'Notification marked read'), 200),
  )
  .openapi(deleteRoute, async (c) =>
    c.json(ok(await deleteNotification(c.get('ctx'), c.req.valid('param').id), 'Notification deleted'), 200),
  );
