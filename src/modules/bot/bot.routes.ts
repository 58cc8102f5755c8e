import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { DeletedSchema } from '../doctors/doctors.schemas';
import {
  BotChatBody,
  BotReplySchema,
  ConversationDetailSchema,
  ConversationIdParam,
  ConversationSchema,
  MAX_BOT_MESSAGE,
} from './bot.schemas';
import { BOT_DAILY, BOT_RATE, chat } from './chat.service';
import { deleteConversation, getConversation, listConversations } from './conversations.service';

const tags = ['Bot'];
const noConversation = errorOf('No such conversation of mine (NOT_FOUND)');

const chatRoute = defineRoute({
  method: 'post',
  path: '/bot/chat',
  operationId: 'bot.chat',
  tags,
  summary: 'Talk to the schedule bot',
  description: `Creates and reads medicine and vaccine schedules from plain language (English or German), and marks doses taken, with the caller's own rights. It states what it understood; when the time, dose or person is unclear it asks for a yes or no first (\`confirmation.requested\`), and it never gives medical advice. Workers AI (function calling) understands the message when bound; otherwise, or when the model fails or is slow, the offline parser does (docs/bot.md). Messages up to ${MAX_BOT_MESSAGE} characters; ${BOT_RATE.limit} a minute and ${BOT_DAILY.limit} a day per user (429 RATE_LIMITED). Also over the user hub socket: \`bot:message\` → \`bot:reply\`.`,
  bodyLimit: 8 * 1024,
  request: { body: jsonBody(BotChatBody) },
  responses: {
    200: jsonResponse(BotReplySchema, 'The reply and what the bot did'),
    404: noConversation,
  },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/bot/conversations',
  operationId: 'bot.conversations.list',
  tags,
  summary: 'My conversations with the bot, most recent first',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(ConversationSchema), 'A page of conversations') },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/bot/conversations/{id}',
  operationId: 'bot.conversations.get',
  tags,
  summary: 'One of my conversations with its messages (the newest 40)',
  request: { params: ConversationIdParam },
  responses: { 200: jsonResponse(ConversationDetailSchema, 'The conversation'), 404: noConversation },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/bot/conversations/{id}',
  operationId: 'bot.conversations.delete',
  tags,
  summary: 'Delete one of my conversations and its messages',
  request: { params: ConversationIdParam },
  responses: { 200: jsonResponse(DeletedSchema, 'Deleted'), 404: noConversation },
});

export const botRouter = createRouter()
  .openapi(chatRoute, async (c) => c.json(ok(await chat(c.get('ctx'), c.req.valid('json'))), 200))
  .openapi(listRoute, async (c) => c.json(ok(await listConversations(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(getRoute, async (c) => c.json(ok(await getConversation(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteConversation(c.get('ctx'), id);
    return c.json(ok({ id }, 'Conversation deleted'), 200);
  });
