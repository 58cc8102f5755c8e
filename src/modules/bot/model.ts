import { z } from 'zod';
import type { ChatMessage, ToolDefinition } from '../../platform/ai';
import { BOT_TOOLS, BotToolCallSchema, type Understanding } from './bot-tools';

/**
 * The model path: the prompt and tool definitions the bot sends Workers AI, and the reading of its
 * answer in every documented shape of a tool call. What the model asks for is validated against the
 * same contract as the parser's (bot-tools.ts); anything else falls back to the parser.
 */

const TOOL_DESCRIPTIONS: Record<keyof typeof BOT_TOOLS, string> = {
  create_medicine_schedule:
    'Create a medicine schedule for the user or one of their dependents (forPerson = the dependent’s name).',
  create_vaccine_schedule: 'Schedule a vaccine dose (or the whole series) for the user or one of their dependents.',
  list_schedules: 'List the user’s medicine and vaccine schedules (optionally of one kind, or of a dependent).',
  list_doses: 'List the doses due on a date (default today).',
  mark_dose_taken: 'Mark one of today’s pending doses as taken.',
};

/** The tools as Workers AI's function calling takes them: JSON Schema from the contract's zod schemas. */
export const TOOL_DEFINITIONS: ToolDefinition[] = (Object.keys(BOT_TOOLS) as (keyof typeof BOT_TOOLS)[]).map((name) => {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(BOT_TOOLS[name]) as Record<string, unknown>;
  return { name, description: TOOL_DESCRIPTIONS[name], parameters };
});

/** The system prompt: what the bot is, its conventions, today in the user's zone, their dependents. */
export function systemPrompt(context: { today: string; weekday: string; timeZone: string; dependents: string[] }) {
  return [
    'You are the Kinwell schedule assistant. You only create and read medicine and vaccine schedules and mark doses taken, by calling the tools.',
    'Never give medical advice (doses, interactions, what to take, symptoms): say you cannot, and suggest asking their doctor.',
    `Today is ${context.weekday} ${context.today} in ${context.timeZone}. Dates are YYYY-MM-DD, times 24-hour HH:MM, in that zone.`,
    'Recurrence: {"type":"interval","everyNDays":1} is daily; {"type":"weekly","daysOfWeek":[1..7]} with 1 = Monday.',
    context.dependents.length
      ? `The user's dependents: ${context.dependents.join(', ')}. Use forPerson only with one of these names.`
      : 'The user has no dependents.',
    'If the time, the dose or the person is unclear, ask a short question instead of calling a tool.',
  ].join('\n');
}

/** The messages of one model call: the system prompt, the recent history, the new message. */
export function modelMessages(system: string, history: ChatMessage[], message: string): ChatMessage[] {
  return [{ role: 'system', content: system }, ...history, { role: 'user', content: message }];
}

interface RawCall {
  name: unknown;
  arguments: unknown;
}

const asObject = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

/** Arguments given as an object, or as JSON text (the OpenAI shape). */
function argumentsOf(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? {};
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** A call in either shape: `{ name, arguments }` or `{ function: { name, arguments } }`. */
function callOf(value: unknown): RawCall | null {
  const o = asObject(value);
  if (!o) return null;
  const fn = asObject(o.function);
  if (fn) return { name: fn.name, arguments: argumentsOf(fn.arguments) };
  if (typeof o.name === 'string') return { name: o.name, arguments: argumentsOf(o.arguments ?? o.parameters) };
  return null;
}

/** Calls written into the text: `<tool_call>{…}</tool_call>` (Hermes) or the whole text one JSON call. */
function callsInText(text: string): RawCall[] {
  const tagged = [...text.matchAll(/<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/g)].map((m) => m[1]!);
  const candidates = tagged.length ? tagged : [text.trim()];
  const calls: RawCall[] = [];
  for (const candidate of candidates) {
    if (!candidate.startsWith('{') && !candidate.startsWith('[')) continue;
    try {
      const parsed: unknown = JSON.parse(candidate);
      for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
        const call = callOf(item);
        if (call) calls.push(call);
      }
    } catch {
      // Not JSON: plain text.
    }
  }
  return calls;
}

/**
 * What the model answered: its tool calls and its text, whatever the shape.
 * - Workers AI: `{ response, tool_calls: [{ name, arguments }] }`;
 * - OpenAI-compatible: `{ tool_calls: [{ type: 'function', function: { name, arguments: '<json>' } }] }`,
 *   or wrapped in `{ choices: [{ message: { content, tool_calls } }] }`, or `{ result: … }`;
 * - calls in the text: `response` holding `{ "name", "arguments" }` JSON or Hermes `<tool_call>` tags.
 */
export function readModelAnswer(raw: unknown): { calls: RawCall[]; text: string | null } {
  let answer = asObject(raw);
  if (answer && asObject(answer.result)) answer = asObject(answer.result);
  const choice = answer && Array.isArray(answer.choices) ? asObject(asObject(answer.choices[0])?.message) : null;
  if (choice) answer = choice;
  if (!answer) return { calls: [], text: typeof raw === 'string' ? raw : null };
  const listed = Array.isArray(answer.tool_calls) ? answer.tool_calls.map(callOf).filter((c) => c !== null) : [];
  const content = answer.response ?? answer.content;
  const responseObject = asObject(content);
  const text = typeof content === 'string' ? content : null;
  if (listed.length) return { calls: listed, text };
  if (responseObject) {
    const call = callOf(responseObject);
    return { calls: call ? [call] : [], text: null };
  }
  const inText = text ? callsInText(text) : [];
  return { calls: inText, text: inText.length ? null : text };
}

/**
 * The model's answer as the bot's Understanding: its first valid tool call, or its text (a question
 * back, a refusal); null when it gave neither usable (the parser then reads the message).
 */
export function understandModelAnswer(raw: unknown): { understanding: Understanding; text: string | null } | null {
  const { calls, text } = readModelAnswer(raw);
  for (const call of calls) {
    const parsed = BotToolCallSchema.safeParse(call);
    if (parsed.success) return { understanding: { kind: 'tool', call: parsed.data, missing: [], ambiguous: [] }, text };
  }
  if (calls.length) return null;
  if (text?.trim()) return { understanding: { kind: 'unknown' }, text: text.trim() };
  return null;
}
