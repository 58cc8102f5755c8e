import { and, asc, desc, eq, notInArray } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf, type Statements } from '../../db/batch';
import { type BotMessageRow, botConversations, botMessages, dependents, userProfiles } from '../../db/schema';
import { notFound } from '../../lib/errors';
import { localDateAt, MINUTE_MS } from '../../lib/time';
import type { ChatMessage } from '../../platform/ai';
import { type RateRule, rateLimitCounters } from '../../platform/rate-limit';
import { type BotToolCall, BotToolCallSchema, type Understanding } from './bot-tools';
import { modelMessages, systemPrompt, TOOL_DEFINITIONS, understandModelAnswer } from './model';
import { parseMessage } from './parser/parse';
import { BotRefusal, type Dependent, describeCall, refusalOf, resolvePerson, runTool } from './tool-runner';

/**
 * The schedule bot's conversation: one message in, one reply out, with what it did. Understanding
 * comes from Workers AI with function calling when the binding is there, and from the offline parser
 * otherwise, or when the model throws, times out or answers nothing usable. A yes or no to a pending
 * confirmation, and a request for medical advice, are always read by the parser first (deterministic,
 * no model call). Tools run through the services the API uses, as the caller.
 */

/** Messages a conversation keeps (older ones are deleted as new ones arrive). */
export const BOT_HISTORY_LIMIT = 40;
/** Messages of the history the model sees with a new one. */
const MODEL_HISTORY = 10;

/** Per user: a burst limit and a daily one (model calls cost money; the parser does not, but both count). */
export const BOT_RATE: RateRule = { name: 'bot:minute', limit: 20, windowMs: MINUTE_MS };
export const BOT_DAILY: RateRule = { name: 'bot:day', limit: 500, windowMs: 24 * 60 * MINUTE_MS };

export const ADVICE_REFUSAL =
  'I can’t give medical advice. Please ask your doctor or pharmacist; you can book a visit in the app. I can create and show your medicine and vaccine schedules, and mark doses as taken.';

export const HELP =
  'I can create medicine schedules (“metformin 500 mg twice a day for 30 days”), vaccine schedules (“MMR for Mia on 3 March”), show your schedules or today’s doses, and mark a dose as taken.';

export const NO_ZONE =
  'Doses are reminded at your local time: please set your time zone in your profile first (Settings, or PATCH /api/v1/users/me with timeZone), then ask me again.';

const QUESTIONS: Record<string, string> = {
  timesOfDay: 'At what time (or how many times a day) should it be taken?',
  medicineName: 'Which medicine is it?',
  vaccineName: 'Which vaccine is it?',
  dueDate: 'On which date?',
  recurrence: 'How often: every day, or on which days?',
};

/** A tool call waiting for the user's yes or no. */
interface Pending {
  call: BotToolCall;
  summary?: string;
}

export interface ChatAnswer {
  reply: string;
  conversationId: string;
  actions: Record<string, unknown>[];
}

const WEEKDAY = (date: string) =>
  new Intl.DateTimeFormat('en', { weekday: 'long', timeZone: 'UTC' }).format(Date.parse(`${date}T12:00:00Z`));

/**
 * Answers one message of the caller's (in a new conversation, or in `conversationId`, which must be
 * theirs). Rate limited per user (RATE_LIMITED with `retryAfter`).
 * @throws AppError NOT_FOUND (another user's or an unknown conversation), RATE_LIMITED
 */
export async function chat(
  ctx: AuthedContext,
  input: { message: string; conversationId?: string },
): Promise<ChatAnswer> {
  const userId = ctx.actor.id;
  const now = ctx.clock.now().getTime();
  const limits = rateLimitCounters(ctx, [
    [BOT_RATE, userId],
    [BOT_DAILY, userId],
  ]);
  const read = await batchOf(ctx.db, {
    ...limits.statements,
    conversation: input.conversationId
      ? ctx.db
          .select()
          .from(botConversations)
          .where(and(eq(botConversations.id, input.conversationId), eq(botConversations.userId, userId)))
      : undefined,
    history: input.conversationId
      ? ctx.db
          .select()
          .from(botMessages)
          .where(and(eq(botMessages.conversationId, input.conversationId), eq(botMessages.userId, userId)))
          .orderBy(desc(botMessages.createdAt), desc(botMessages.id))
          .limit(MODEL_HISTORY)
      : undefined,
    dependents: ctx.db
      .select({ id: dependents.id, name: dependents.name })
      .from(dependents)
      .where(eq(dependents.userId, userId))
      .orderBy(asc(dependents.name)),
    zone: ctx.db.select({ timeZone: userProfiles.timeZone }).from(userProfiles).where(eq(userProfiles.userId, userId)),
  });
  limits.check(read);
  const conversation = read.conversation?.[0];
  if (input.conversationId && !conversation) throw notFound('Conversation');
  const profileZone = read.zone[0]?.timeZone ?? null;
  const timeZone = profileZone ?? 'UTC';
  const today = localDateAt(now, timeZone);
  const people: Dependent[] = read.dependents;
  const pendingParsed = BotToolCallSchema.safeParse((conversation?.pending as Pending | null)?.call);
  const pending: Pending | null = pendingParsed.success ? { call: pendingParsed.data } : null;

  const { understanding, via, modelText } = await understand(ctx, input.message, {
    now,
    timeZone,
    today,
    // Full names and first names: "for Mia" names Mia Santos.
    dependents: [...new Set(people.flatMap((d) => [d.name, d.name.split(/\s+/)[0]!]))],
    history: [...(read.history ?? [])].reverse(),
    hasPending: pending !== null,
  });
  const answer = await act(ctx, understanding, { pending, today, people, modelText, hasZone: profileZone !== null });

  const conversationId = conversation?.id ?? ctx.ids.id('bcv');
  const message = (role: BotMessageRow['role'], content: string, at: number): BotMessageRow => ({
    id: ctx.ids.id('bmsg'),
    conversationId,
    userId,
    role,
    content,
    actions: role === 'assistant' ? answer.actions : null,
    via: role === 'assistant' ? via : null,
    createdAt: at,
  });
  const statements: Statements = [
    conversation
      ? ctx.db
          .update(botConversations)
          .set({ pending: answer.pending, updatedAt: now })
          .where(eq(botConversations.id, conversationId))
      : ctx.db
          .insert(botConversations)
          .values({ id: conversationId, userId, pending: answer.pending, createdAt: now, updatedAt: now }),
    ctx.db
      .insert(botMessages)
      .values([message('user', input.message, now), message('assistant', answer.reply, now + 1)]),
    // Keep the newest BOT_HISTORY_LIMIT messages of the conversation.
    ctx.db
      .delete(botMessages)
      .where(
        and(
          eq(botMessages.conversationId, conversationId),
          notInArray(
            botMessages.id,
            ctx.db
              .select({ id: botMessages.id })
              .from(botMessages)
              .where(eq(botMessages.conversationId, conversationId))
              .orderBy(desc(botMessages.createdAt), desc(botMessages.id))
              .limit(BOT_HISTORY_LIMIT),
          ),
        ),
      ),
  ];
  await ctx.db.batch(statements as [Statements[number], ...Statements]);
  return { reply: answer.reply, conversationId, actions: answer.actions };
}

interface UnderstandContext {
  now: number;
  timeZone: string;
  today: string;
  dependents: string[];
  history: BotMessageRow[];
  hasPending: boolean;
}

/**
 * What the message asks: the parser's reading when it is a yes/no to a pending confirmation or a
 * request for advice; else the model's when there is one and it answers usably; else the parser's.
 */
async function understand(
  ctx: AuthedContext,
  message: string,
  context: UnderstandContext,
): Promise<{ understanding: Understanding; via: 'model' | 'parser'; modelText: string | null }> {
  const parsed = parseMessage(message, {
    now: context.now,
    timeZone: context.timeZone,
    dependents: context.dependents,
  });
  const decisive =
    parsed.kind === 'advice' || (context.hasPending && (parsed.kind === 'confirm' || parsed.kind === 'decline'));
  const model = ctx.ports.ai;
  if (!decisive && model) {
    try {
      const history: ChatMessage[] = context.history.map((m) => ({ role: m.role, content: m.content }));
      const system = systemPrompt({
        today: context.today,
        weekday: WEEKDAY(context.today),
        timeZone: context.timeZone,
        dependents: context.dependents,
      });
      const raw = await model.chat({ messages: modelMessages(system, history, message), tools: TOOL_DEFINITIONS });
      const read = understandModelAnswer(raw);
      if (read) return { understanding: read.understanding, via: 'model', modelText: read.text };
      ctx.log.log('warn', 'bot.model_unusable', { model: model.name });
    } catch (err) {
      ctx.log.log('warn', 'bot.model_failed', {
        model: model.name,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return { understanding: parsed, via: 'parser', modelText: null };
}

/** Whether a call changes something (asked to confirm when ambiguous) rather than reading. */
const WRITES = new Set<BotToolCall['name']>(['create_medicine_schedule', 'create_vaccine_schedule', 'mark_dose_taken']);

/** The reply to an understanding: run the tool, ask, confirm, refuse or explain. */
async function act(
  ctx: AuthedContext,
  understanding: Understanding,
  context: { pending: Pending | null; today: string; people: Dependent[]; modelText: string | null; hasZone: boolean },
): Promise<{ reply: string; actions: Record<string, unknown>[]; pending: Pending | null }> {
  const run = async (call: BotToolCall) => {
    try {
      const outcome = await runTool(ctx, call, { today: context.today, dependents: context.people });
      return { ...outcome, pending: null };
    } catch (err) {
      const refusal = refusalOf(err);
      if (!refusal) throw err;
      return { reply: refusal.message, actions: [], pending: null };
    }
  };
  switch (understanding.kind) {
    case 'advice':
      return { reply: ADVICE_REFUSAL, actions: [], pending: null };
    case 'confirm':
      if (!context.pending)
        return { reply: `There is nothing waiting for your confirmation. ${HELP}`, actions: [], pending: null };
      return run(context.pending.call);
    case 'decline':
      if (!context.pending) return { reply: 'All right.', actions: [], pending: null };
      return { reply: 'All right, I did not do it.', actions: [], pending: null };
    case 'unknown':
      return { reply: context.modelText ?? HELP, actions: [], pending: context.pending };
    case 'tool': {
      const { call, missing, ambiguous } = understanding;
      if (call.name === 'create_medicine_schedule' && !context.hasZone) {
        return { reply: NO_ZONE, actions: [], pending: null };
      }
      if (missing.length) {
        const questions = missing.map((field) => QUESTIONS[field] ?? `What is the ${field}?`);
        return { reply: `I need a little more: ${questions.join(' ')}`, actions: [], pending: null };
      }
      // Whose schedule it is is settled before anything is said back: never guessed, never another's.
      try {
        resolvePerson('forPerson' in call.arguments ? call.arguments.forPerson : undefined, context.people);
      } catch (err) {
        if (err instanceof BotRefusal) return { reply: err.message, actions: [], pending: null };
        throw err;
      }
      // A person the parser did not know by that spelling is settled now: one of the caller's.
      const unclear = ambiguous.filter((what) => what !== 'forPerson');
      if (WRITES.has(call.name) && unclear.length) {
        const summary = describeCall(call, context.today);
        return {
          reply: `I understood: ${summary}. Please check the ${unclear.join(' and ')}: shall I go ahead? (yes or no)`,
          actions: [{ type: 'confirmation.requested', call }],
          pending: { call, summary },
        };
      }
      return run(call);
    }
  }
}
