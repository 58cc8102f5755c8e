import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { DeviceIdParam, DeviceSchema, RegisterDeviceBody } from './devices.schemas';
import { deleteDevice, listDevices, MAX_DEVICES_PER_USER, registerDevice } from './devices.service';
import { NotificationPreferencesSchema, UpdateNotificationPreferencesBody } from './notification-preferences.schemas';
import { getMyNotificationPreferences, updateMyNotificationPreferences } from './notification-preferences.service';

// Push devices and notification preferences: both decide where a person's notifications go.

const listDevicesRoute = defineRoute({
  method: 'get',
  path: '/users/me/devices',
  operationId: 'users.me.devices.list',
  tags: ['Devices'],
  summary: 'My push devices, most recently seen first',
  description: 'Tokens are never shown; `maskedToken` is their last characters, to tell devices apart.',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(DeviceSchema), 'A page of devices') },
});

const registerDeviceRoute = defineRoute({
  method: 'post',
  path: '/users/me/devices',
  operationId: 'users.me.devices.register',
  tags: ['Devices'],
  summary: 'Register this device for push (FCM token); call on every app start',
  description: `Idempotent on \`token\`: 201 when the device is new to me, 200 when I already had it (its last-seen time is refreshed). A token registered by another account moves to mine, so pushes for that account stop reaching this device. At most ${MAX_DEVICES_PER_USER} devices per account: one more forgets the least recently seen.`,
  bodyLimit: 16 * 1024,
  request: { body: jsonBody(RegisterDeviceBody) },
  responses: {
    200: jsonResponse(DeviceSchema, 'Already registered; refreshed'),
    201: jsonResponse(DeviceSchema, 'Registered'),
  },
});

const deleteDeviceRoute = defineRoute({
  method: 'delete',
  path: '/users/me/devices/{id}',
  operationId: 'users.me.devices.delete',
  tags: ['Devices'],
  summary: 'Stop push to one of my devices',
  request: { params: DeviceIdParam },
  responses: {
    200: jsonResponse(
      z.object({ id: z.string() }).openapi('DeletedDevice', { example: { id: 'dev_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } }),
      'Removed',
    ),
    404: errorOf('No such device of mine'),
  },
});

const getPreferencesRoute = defineRoute({
  method: 'get',
  path: '/users/me/notification-preferences',
  operationId: 'users.me.notificationPreferences.get',
  tags: ['Notification preferences'],
  summary: 'Which notifications I get on which channel',
  description:
    'Every channel × kind. Defaults: everything on except `marketing` (off everywhere); `sms` only for appointments, reminders and medication. In-app `system` notifications are always on.',
  responses: { 200: jsonResponse(NotificationPreferencesSchema, 'The full matrix') },
});

const updatePreferencesRoute = defineRoute({
  method: 'put',
  path: '/users/me/notification-preferences',
  operationId: 'users.me.notificationPreferences.update',
  tags: ['Notification preferences'],
  summary: 'Turn some notifications on or off',
  description:
    'Send only the cells to change; the others keep their value. Unknown channels or kinds are refused (422), and so is turning off in-app `system` notifications (account security messages must reach you). Answers the full matrix.',
  bodyLimit: 8 * 1024,
  request: { body: jsonBody(UpdateNotificationPreferencesBody) },
  responses: { 200: jsonResponse(NotificationPreferencesSchema, 'The full matrix after the change') },
});

export const devicesRouter = createRouter()
  .openapi(listDevicesRoute, async (c) => c.json(ok(await listDevices(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(registerDeviceRoute, async (c) => {
    const { device, created } = await registerDevice(c.get('ctx'), c.req.valid('json'));
    if (created) return c.json(ok(device, 'Device registered'), 201);
    return c.json(ok(device, 'Device refreshed'), 200);
  })
  .openapi(deleteDeviceRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteDevice(c.get('ctx'), id);
    return c.json(ok({ id }, 'Device removed'), 200);
  })
  .openapi(getPreferencesRoute, async (c) => c.json(ok(await getMyNotificationPreferences(c.get('ctx'))), 200))
  .openapi(updatePreferencesRoute, async (c) => {
    const matrix = await updateMyNotificationPreferences(c.get('ctx'), c.req.valid('json'));
    return c.json(ok(matrix, 'Notification preferences saved'), 200);
  });
