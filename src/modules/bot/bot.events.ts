import { type SocketEventMap, socketEvent } from '../../http/socket-events';
import { BotChatBody } from './bot.schemas';
import { chat } from './chat.service';

/**
 * The bot over the user hub socket: `bot:message` `{ message, conversationId? }` answers `bot:reply`
 * with the same body as POST /bot/chat (same policy, validation, limits and service).
 */
export const botSocketEvents: SocketEventMap = {
  'bot:message': socketEvent('bot.chat', BotChatBody, chat, { reply: 'bot:reply' }),
};
