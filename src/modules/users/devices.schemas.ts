import { z } from '@hono/zod-openapi';
import { DEVICE_PLATFORMS } from '../../db/schema';
import { NO_CONTROL_CHARS } from '../../lib/text';

/** An FCM registration token: 20–4096 characters of `[A-Za-z0-9:_-]`. */
export const FcmTokenSchema = z
  .string()
  .min(20)
  .max(4096)
  .regex(/^[A-Za-z0-9:_-]+$/, 'Must be an FCM registration token (letters, digits, ":", "_", "-")');

export const RegisterDeviceBody = z
  .strictObject({
    token: FcmTokenSchema,
    platform: z.enum(DEVICE_PLATFORMS),
    deviceName: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(NO_CONTROL_CHARS, 'Must not contain control characters')
      .optional(),
  })
  .openapi('RegisterDevice', {
    example: {
      token:
        'dGhpcyBpcyBub3QgYSByZWFs:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ-hQMRKRrZuJAEcl7B338qju59zJMjw2DELjzEvxwYv7hH5Ynpc1ODQ0aT4U4OFEeco8ohsN5PjL1iC2dNtk2BAokeMCg2ZXKqpc8FXKmhX94kIxQ',
      platform: 'android',
      deviceName: 'Pixel 8',
    },
  });

export const DeviceSchema = z
  .object({
    id: z.string(),
    platform: z.enum(DEVICE_PLATFORMS),
    deviceName: z.string().nullable(),
    /** The last characters of the token, so a person can tell devices apart; never the token itself. */
    maskedToken: z.string(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
  })
  .openapi('Device', {
    example: {
      id: 'dev_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      platform: 'android',
      deviceName: 'Pixel 8',
      maskedToken: '…FXKmhX',
      createdAt: '2026-01-15T10:30:00.000Z',
      lastSeenAt: '2026-01-20T08:02:11.000Z',
    },
  });

export type DeviceView = z.infer<typeof DeviceSchema>;

export const DeviceIdParam = z.object({
  id: z
    .string()
    .regex(/^dev_[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a device id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'dev_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});
