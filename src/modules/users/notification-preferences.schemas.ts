import { z } from '@hono/zod-openapi';
import type { NotificationChannel, NotificationKind } from '../../db/schema';

const kinds = <T extends z.ZodType>(flag: T) =>
  ({
    appointments: flag,
    reminders: flag,
    medication: flag,
    system: flag,
    marketing: flag,
  }) satisfies Record<NotificationKind, T>;

const channels = <T extends z.ZodType>(perChannel: T) =>
  ({
    'in-app': perChannel,
    email: perChannel,
    sms: perChannel,
    push: perChannel,
  }) satisfies Record<NotificationChannel, T>;

const MATRIX_EXAMPLE = {
  channels: {
    'in-app': { appointments: true, reminders: true, medication: true, system: true, marketing: false },
    email: { appointments: true, reminders: true, medication: true, system: true, marketing: true },
    sms: { appointments: true, reminders: false, medication: true, system: false, marketing: false },
    push: { appointments: true, reminders: true, medication: true, system: true, marketing: false },
  },
};

/** Every channel × kind, each on or off: stored choices over the defaults. */
export const NotificationPreferencesSchema = z
  .object({ channels: z.object(channels(z.object(kinds(z.boolean())))) })
  .openapi('NotificationPreferences', { example: MATRIX_EXAMPLE });

export type NotificationMatrix = z.infer<typeof NotificationPreferencesSchema>;

/** Only the cells to change; an unknown channel or kind is refused. */
export const UpdateNotificationPreferencesBody = z
  .strictObject({
    channels: z.strictObject(channels(z.strictObject(kinds(z.boolean().optional())).optional())),
  })
  .openapi('UpdateNotificationPreferences', {
    example: { channels: { email: { marketing: true }, sms: { reminders: false } } },
  });

export type NotificationPreferencesPatch = z.infer<typeof UpdateNotificationPreferencesBody>;
