import { z } from '@hono/zod-openapi';
import { SUPPORT_CATEGORIES, SUPPORT_PRIORITIES, SUPPORT_STATUSES } from '../../db/schema';
import { idParam, PageQuery } from '../../http/openapi';

/** Longest subject, in characters. */
export const MAX_SUBJECT = 200;
/** Longest description or message, in characters. */
export const MAX_TEXT = 5000;
/** Most files on one ticket or one message. */
export const MAX_ATTACHMENTS = 5;

export const TicketIdParam = idParam('stk', 'support ticket');

export const TicketFileParams = TicketIdParam.extend({
  fileId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'fileId', in: 'path' }, example: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

const Attachments = z
  .array(z.string().min(1).max(64))
  .max(MAX_ATTACHMENTS)
  .default([])
  .openapi({
    description: `Up to ${MAX_ATTACHMENTS} ids of my uploads (POST /files, purpose \`support\`)`,
    example: ['fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE'],
  });

export const CreateTicketBody = z
  .strictObject({
    subject: z.string().trim().min(1).max(MAX_SUBJECT),
    category: z.enum(SUPPORT_CATEGORIES),
    priority: z.enum(SUPPORT_PRIORITIES).default('normal'),
    description: z.string().trim().min(1).max(MAX_TEXT),
    attachments: Attachments,
  })
  .openapi('CreateSupportTicket', {
    example: {
      subject: 'I was charged twice',
      category: 'payments',
      priority: 'high',
      description: 'My card shows two charges for the visit on 12 March.',
      attachments: ['fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE'],
    },
  });
export type CreateTicketInput = z.infer<typeof CreateTicketBody>;

export const MessageBody = z
  .strictObject({
    body: z.string().trim().min(1).max(MAX_TEXT),
    attachments: Attachments,
  })
  .openapi('SupportMessageInput', { example: { body: 'Here is the bank statement.', attachments: [] } });
export type MessageInput = z.infer<typeof MessageBody>;

export const StaffMessageBody = z
  .strictObject({
    body: z.string().trim().min(1).max(MAX_TEXT),
    attachments: Attachments,
    internal: z
      .boolean()
      .default(false)
      .openapi({ description: 'A note for staff only: never shown nor notified to the owner' }),
  })
  .openapi('SupportStaffMessageInput', {
    example: { body: 'We refunded the second charge; it shows within 5 days.', attachments: [], internal: false },
  });
export type StaffMessageInput = z.infer<typeof StaffMessageBody>;

export const AssignBody = z
  .strictObject({
    assigneeId: z
      .string()
      .min(1)
      .max(64)
      .openapi({ description: 'An active admin with the `support-agent` sub-role, or a superadmin' }),
  })
  .openapi('SupportAssign', { example: { assigneeId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } });

export const StatusBody = z
  .strictObject({ status: z.enum(['in-progress', 'resolved', 'closed']) })
  .openapi('SupportStatusChange', { example: { status: 'resolved' } });
export type StaffStatus = z.infer<typeof StatusBody>['status'];

export const MyTicketQuery = PageQuery.extend({ status: z.enum(SUPPORT_STATUSES).optional() });
export type MyTicketQueryInput = z.infer<typeof MyTicketQuery>;

export const StaffTicketQuery = PageQuery.extend({
  status: z.enum(SUPPORT_STATUSES).optional(),
  priority: z.enum(SUPPORT_PRIORITIES).optional(),
  category: z.enum(SUPPORT_CATEGORIES).optional(),
  assignee: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: 'A user id, or `none` for unassigned tickets', example: 'none' }),
  q: z.string().trim().min(1).max(100).optional().openapi({ description: 'Text in the subject', example: 'charged' }),
});
export type StaffTicketQueryInput = z.infer<typeof StaffTicketQuery>;

const TICKET_EXAMPLE = {
  id: 'stk_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  ownerId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  subject: 'I was charged twice',
  category: 'payments',
  priority: 'high',
  description: 'My card shows two charges for the visit on 12 March.',
  attachments: ['fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE'],
  status: 'open',
  assigneeId: null,
  resolvedAt: null,
  reopenableUntil: null,
  closedAt: null,
  createdAt: '2026-11-21T08:00:00.000Z',
  updatedAt: '2026-11-21T08:00:00.000Z',
} as const;

export const TicketSchema = z
  .object({
    id: z.string(),
    ownerId: z.string(),
    subject: z.string(),
    category: z.enum(SUPPORT_CATEGORIES),
    priority: z.enum(SUPPORT_PRIORITIES),
    description: z.string(),
    attachments: z.array(z.string()),
    status: z.enum(SUPPORT_STATUSES),
    assigneeId: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    reopenableUntil: z
      .string()
      .nullable()
      .openapi({ description: 'While resolved: until when the owner may reopen it' }),
    closedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('SupportTicket', { example: TICKET_EXAMPLE });
export type TicketView = z.infer<typeof TicketSchema>;

const MESSAGE_EXAMPLE = {
  id: 'smg_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  ticketId: 'stk_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  authorId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  fromStaff: true,
  body: 'We refunded the second charge; it shows within 5 days.',
  attachments: [],
  internal: false,
  createdAt: '2026-11-21T09:00:00.000Z',
};

export const SupportMessageSchema = z
  .object({
    id: z.string(),
    ticketId: z.string(),
    authorId: z.string(),
    fromStaff: z.boolean().openapi({ description: 'Written by support staff, not the owner' }),
    body: z.string(),
    attachments: z.array(z.string()),
    internal: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('SupportMessage', { example: MESSAGE_EXAMPLE });
export type SupportMessageView = z.infer<typeof SupportMessageSchema>;

export const TicketThreadSchema = z
  .object({ ticket: TicketSchema, messages: z.array(SupportMessageSchema) })
  .openapi('SupportTicketThread', { example: { ticket: TICKET_EXAMPLE, messages: [MESSAGE_EXAMPLE] } });
export type TicketThreadView = z.infer<typeof TicketThreadSchema>;
