import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const SETTING_TYPES = ['boolean', 'number', 'string', 'json'] as const;
export type SettingType = (typeof SETTING_TYPES)[number];

/**
 * System configuration and feature flags, edited by superadmins. Each key has a declared type (in
 * src/modules/settings/registry.ts); the stored value is JSON of that type.
 */
export const systemSettings = sqliteTable('system_settings', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).$type<unknown>().notNull(),
  updatedAt: integer('updated_at').notNull(),
  updatedBy: text('updated_by'),
});
