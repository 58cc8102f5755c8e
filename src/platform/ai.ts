/**
 * The language model behind the schedule bot: Workers AI with function calling. The port only runs the
 * model (with a time limit) and hands back its raw answer; the bot module reads every documented shape
 * of it. Absent when the runtime has no AI binding (local development without a login, the test pool,
 * Bun and Deno): the bot then uses its offline parser.
 */

/** A model that supports function calling on Workers AI (the `BOT_MODEL` variable may name another). */
export const DEFAULT_BOT_MODEL = '@cf/meta/llama-3.3-70b-instruct-fp8-fast';

/** How long the bot waits for the model before it answers with the offline parser. */
export const MODEL_TIMEOUT_MS = 8_000;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A tool as Workers AI's function calling takes it (JSON Schema parameters). */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface LanguageModel {
  /** The model's name, recorded with what it understood. */
  readonly name: string;
  /**
   * Runs the model on the conversation with the tools it may call; resolves with its raw answer.
   * @throws Error when the binding fails (as `wrangler dev --local` does: it must run remotely) or the
   *   time limit passes
   */
  chat(input: { messages: ChatMessage[]; tools: ToolDefinition[] }): Promise<unknown>;
}

/** The minimal binding the port needs: `env.AI.run`. */
export interface AiBinding {
  run(model: string, input: Record<string, unknown>): Promise<unknown>;
}

/** The Workers AI model of `binding`, or null without one. */
export function workersAiModel(binding: AiBinding | undefined, model = DEFAULT_BOT_MODEL): LanguageModel | null {
  if (!binding) return null;
  return {
    name: model,
    async chat({ messages, tools }) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`The model did not answer within ${MODEL_TIMEOUT_MS} ms`)),
          MODEL_TIMEOUT_MS,
        );
      });
      try {
        return await Promise.race([binding.run(model, { messages, tools }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
