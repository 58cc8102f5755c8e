import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { PublicSettingsSchema, SettingKeyParam, SettingSchema, UpdateSettingBody } from './settings.schemas';
import { getPublicSettings, listSettings, updateSetting } from './settings.service';

/** How long clients and caches may keep the public settings. */
const PUBLIC_MAX_AGE_SECONDS = 60;

const listRoute = defineRoute({
  method: 'get',
  path: '/superadmin/settings',
  operationId: 'superadmin.settings.list',
  tags: ['Settings'],
  summary: 'Every system setting and feature flag with its value, default and type',
  description: 'Ordered by key. The registry is small: `limit=100` returns every key on one page.',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(SettingSchema), 'A page of settings') },
});

const updateRoute = defineRoute({
  method: 'put',
  path: '/superadmin/settings/{key}',
  operationId: 'superadmin.settings.update',
  tags: ['Settings'],
  summary: 'Set a system setting or feature flag',
  description:
    'The value must have the type the setting declares and pass its rule (e.g. a number range); the change is audited with the old and new value.',
  request: { params: SettingKeyParam, body: jsonBody(UpdateSettingBody) },
  responses: {
    200: jsonResponse(SettingSchema, 'The setting as now stored'),
    404: errorOf('No such setting (NOT_FOUND)'),
  },
});

const publicRoute = defineRoute({
  method: 'get',
  path: '/settings/public',
  operationId: 'settings.public',
  tags: ['Settings'],
  summary: 'Public settings and feature flags for the apps at start-up',
  description: `A flat object of the public keys only. Cacheable for ${PUBLIC_MAX_AGE_SECONDS} seconds.`,
  responses: { 200: jsonResponse(PublicSettingsSchema, 'Public settings') },
});

export const settingsRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listSettings(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(updateRoute, async (c) => {
    const setting = await updateSetting(c.get('ctx'), c.req.valid('param').key, c.req.valid('json').value);
    return c.json(ok(setting, 'Setting updated'), 200);
  })
  .openapi(publicRoute, async (c) => {
    const settings = await getPublicSettings(c.get('ctx'));
    c.header('cache-control', `public, max-age=${PUBLIC_MAX_AGE_SECONDS}`);
    return c.json(ok(settings), 200);
  });
