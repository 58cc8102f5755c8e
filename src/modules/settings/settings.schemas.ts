import { z } from '@hono/zod-openapi';
import { SETTING_TYPES } from '../../db/schema';
import { definitionOf, SETTING_KEYS, SETTINGS } from './registry';

/** Any JSON value; the setting's registry entry decides which are accepted. */
const JsonValue = z
  .union([z.boolean(), z.number(), z.string(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())])
  .openapi({ description: 'A JSON value of the type the setting declares' });

export const SettingSchema = z
  .object({
    key: z.enum(SETTING_KEYS as [string, ...string[]]),
    value: JsonValue,
    default: JsonValue,
    type: z.enum(SETTING_TYPES),
    description: z.string(),
    public: z.boolean().openapi({ description: 'Served without a token at GET /api/v1/settings/public' }),
    updatedAt: z.string().nullable().openapi({ description: 'When a superadmin last set it; null while default' }),
    updatedBy: z.string().nullable(),
  })
  .openapi('Setting', {
    example: {
      key: 'uploads.maxAvatarMb',
      value: 2,
      default: 5,
      type: 'number',
      description: SETTINGS['uploads.maxAvatarMb'].description,
      public: false,
      updatedAt: '2026-01-15T10:30:00.000Z',
      updatedBy: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
    },
  });

export const SettingKeyParam = z.object({
  key: z
    .string()
    .max(100)
    .regex(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/, 'Not a setting key')
    .openapi({ param: { name: 'key', in: 'path' }, example: 'uploads.maxAvatarMb' }),
});

export const UpdateSettingBody = z.object({ value: JsonValue }).openapi('UpdateSettingBody', { example: { value: 2 } });

const publicKeys = SETTING_KEYS.filter((key) => definitionOf(key).public).sort();

/** The public settings as one flat object, documented key by key from the registry. */
export const PublicSettingsSchema = z
  .object(Object.fromEntries(publicKeys.map((key) => [key, SETTINGS[key].validate])) as Record<string, z.ZodType>)
  .openapi('PublicSettings', {
    example: Object.fromEntries(publicKeys.map((key) => [key, definitionOf(key).default])),
  });
