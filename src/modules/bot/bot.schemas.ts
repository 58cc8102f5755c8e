import { z } from '@hono/zod-openapi';
import { idParam } from '../../http/openapi';
import { NO_CONTROL_CHARS_BUT_LINE_BREAKS } from '../../lib/text';

/** The longest message the bot reads, in characters. */
export const MAX_BOT_MESSAGE = 1000;

const CONVERSATION = 'bcv_01JF8ZS5X0V6M3A2Q9K1T7B4CE';

export const BotChatBody = z
  .strictObject({
    message: z
      .string()
      .trim()
      .min(1)
      .max(MAX_BOT_MESSAGE)
      .refine((s) => NO_CONTROL_CHARS_BUT_LINE_BREAKS.test(s), 'Must not contain control characters'),
    conversationId: z
      .string()
      .regex(/^bcv_[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a conversation id')
      .optional()
      .openapi({ description: 'Continue this conversation of mine (omit to start one)', example: CONVERSATION }),
  })
  .openapi('BotChat', { example: { message: 'Metformin 500 mg at 8am and 8pm every day for 30 days' } });
export type BotChatInput = z.infer<typeof BotChatBody>;

const actionExample = {
  type: 'schedule.created',
  kind: 'medicine',
  scheduleId: 'sch_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
};

export const BotReplySchema = z
  .object({
    reply: z.string(),
    conversationId: z.string(),
    actions: z.array(z.record(z.string(), z.unknown())).openapi({
      description:
        'What the bot did: `schedule.created` (`kind` medicine or vaccine, `scheduleId`, `schedule`), `dose.taken`, `schedules.listed`, `doses.listed`, or `confirmation.requested` (nothing done yet: answer yes or no).',
    }),
  })
  .openapi('BotReply', {
    example: {
      reply:
        'Done: I created Metformin 500 mg at 08:00 and 20:00 every day, from 2026-03-23 until 2026-04-21. I will remind you at each dose.',
      conversationId: CONVERSATION,
      actions: [actionExample],
    },
  });

export const ConversationIdParam = idParam('bcv', 'conversation');

const conversationExample = {
  id: CONVERSATION,
  awaitingConfirmation: false,
  createdAt: '2026-03-23T08:00:00.000Z',
  updatedAt: '2026-03-23T08:01:00.000Z',
};

export const ConversationSchema = z
  .object({ id: z.string(), awaitingConfirmation: z.boolean(), createdAt: z.string(), updatedAt: z.string() })
  .openapi('BotConversation', { example: conversationExample });

export const ConversationDetailSchema = ConversationSchema.extend({
  messages: z.array(
    z.object({
      id: z.string(),
      role: z.enum(['user', 'assistant']),
      content: z.string(),
      actions: z.array(z.record(z.string(), z.unknown())),
      createdAt: z.string(),
    }),
  ),
}).openapi('BotConversationDetail', {
  example: {
    ...conversationExample,
    messages: [
      {
        id: 'bmsg_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
        role: 'user',
        content: 'What do I take today?',
        actions: [],
        createdAt: '2026-03-23T08:00:00.000Z',
      },
    ],
  },
});
