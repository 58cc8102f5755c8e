import { z } from '@hono/zod-openapi';
import {
  BROADCAST_CATEGORIES,
  DELIVERY_STATUSES,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_TYPES,
  ROLES,
} from '../../db/schema';
import { PageQuery } from '../../http/openapi';

const Instant = z.string().openapi({ format: 'date-time', example: '2026-11-21T08:00:00.000Z' });
const UserId = z
  .string()
  .regex(/^usr_[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a user id')
  .openapi({ example: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' });

export const NotificationSchema = z
  .object({
    id: z.string(),
    type: z.enum(NOTIFICATION_TYPES),
    title: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.unknown()).openapi({ description: 'What the notice was made from: ids and values' }),
    readAt: Instant.nullable(),
    createdAt: Instant,
  })
  .openapi('Notification', {
    example: {
      id: 'ntf_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      type: 'system',
      title: 'Scheduled maintenance',
      body: 'Kinwell is read-only on Sunday from 02:00 to 03:00 UTC.',
      data: {
        title: 'Scheduled maintenance',
        body: 'Kinwell is read-only…',
        broadcastId: 'bdc_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      },
      readAt: null,
      createdAt: '2026-11-21T08:00:00.000Z',
    },
  });

export type NotificationView = z.infer<typeof NotificationSchema>;

export const InboxQuery = PageQuery.extend({
  unread: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ description: '`true`: unread only; `false`: read only', example: 'true' }),
  type: z.enum(NOTIFICATION_TYPES).optional(),
});

export const UnreadCountSchema = z
  .object({ unreadCount: z.number().int() })
  .openapi('UnreadCount', { example: { unreadCount: 3 } });

export const MarkedAllSchema = z
  .object({ marked: z.number().int().openapi({ description: 'How many were unread' }) })
  .openapi('NotificationsMarkedRead', { example: { marked: 3 } });

export const DeletedNotificationSchema = z
  .object({ id: z.string() })
  .openapi('DeletedNotification', { example: { id: 'ntf_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } });

export const DeliverySchema = z
  .object({
    id: z.string(),
    subject: z.object({ type: z.string(), id: z.string() }),
    kind: z.string(),
    recipientId: z.string(),
    channel: z.enum(NOTIFICATION_CHANNELS),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    skipReason: z.string().nullable(),
    providerMessageId: z.string().nullable(),
    deadJobId: z.string().nullable(),
    createdAt: Instant,
    updatedAt: Instant,
    sentAt: Instant.nullable(),
    deliveredAt: Instant.nullable(),
  })
  .openapi('Delivery', {
    example: {
      id: 'dlv_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      subject: { type: 'broadcast', id: 'bdc_01JF8ZS5X0V6M3A2Q9K1T7B4CE' },
      kind: 'broadcast',
      recipientId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      channel: 'email',
      status: 'failed',
      attempts: 6,
      lastError: 'SERVICE_UNAVAILABLE: Email provider refused the message (providerStatus 503)',
      skipReason: null,
      providerMessageId: null,
      deadJobId: 'dlq_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      createdAt: '2026-11-21T08:00:00.000Z',
      updatedAt: '2026-11-21T08:16:00.000Z',
      sentAt: null,
      deliveredAt: null,
    },
  });

export type DeliveryView = z.infer<typeof DeliverySchema>;

export const DeliveryListQuery = PageQuery.extend({
  status: z.enum(DELIVERY_STATUSES).optional().openapi({ example: 'failed' }),
  channel: z.enum(NOTIFICATION_CHANNELS).optional(),
  recipientId: UserId.optional(),
  kind: z.string().min(1).max(100).optional().openapi({ example: 'broadcast' }),
});

export type DeliveryListInput = z.output<typeof DeliveryListQuery>;

/** Keys of a broadcast's `data` that the pipeline fills itself. */
const RESERVED_DATA_KEYS = ['title', 'body', 'message', 'broadcastId'];

const BroadcastData = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'Keys are letters, digits and _ (up to 40)'),
    z.union([z.string().max(500), z.number(), z.boolean()]),
  )
  .refine((data) => Object.keys(data).length <= 20, 'At most 20 keys')
  .refine((data) => !Object.keys(data).some((key) => RESERVED_DATA_KEYS.includes(key)), {
    message: `${RESERVED_DATA_KEYS.join(', ')} are set by the server`,
  });

export const AudienceSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('user'), userId: UserId }),
    z.strictObject({ kind: z.literal('role'), role: z.enum(ROLES) }),
    z.strictObject({ kind: z.literal('everyone') }),
  ])
  .openapi('BroadcastAudience', { example: { kind: 'role', role: 'doctor' } });

export const BroadcastBody = z
  .strictObject({
    audience: AudienceSchema,
    type: z.enum(['system', 'custom']),
    category: z
      .enum(BROADCAST_CATEGORIES)
      .default('system')
      .openapi({ description: 'Which preference decides each channel: `system`, or opt-in `marketing`' }),
    title: z.string().trim().min(1).max(120),
    body: z.string().trim().min(1).max(2000),
    data: BroadcastData.optional().openapi({ description: 'Extra values for the apps (e.g. a link)' }),
  })
  .openapi('Broadcast', {
    example: {
      audience: { kind: 'role', role: 'doctor' },
      type: 'system',
      title: 'Scheduled maintenance',
      body: 'Kinwell is read-only on Sunday from 02:00 to 03:00 UTC.',
    },
  });

export type BroadcastInput = z.output<typeof BroadcastBody>;

export const BroadcastAcceptedSchema = z
  .object({
    broadcastId: z.string(),
    audience: AudienceSchema,
    type: z.enum(['system', 'custom']),
    category: z.enum(BROADCAST_CATEGORIES),
    status: z.literal('fanning-out'),
    createdAt: Instant,
  })
  .openapi('BroadcastAccepted', {
    example: {
      broadcastId: 'bdc_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      audience: { kind: 'role', role: 'doctor' },
      type: 'system',
      category: 'system',
      status: 'fanning-out',
      createdAt: '2026-11-21T08:00:00.000Z',
    },
  });
