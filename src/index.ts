import { createApp } from './app';
import { createContext, defaultDeps } from './context';
import type { Env } from './env';
import { runCron } from './jobs/cron';
import { handleQueueBatch } from './jobs/queue';

export { CallRoom } from './realtime/call-room.do';
export { UserHub } from './realtime/user-hub.do';

const app = createApp();
const nextId = () => `run_${crypto.randomUUID()}`;

/** The Worker: HTTP through Hono, the every-minute cron, and the JOBS queue (and its DLQ). */
export default {
  fetch: app.fetch,
  async scheduled(_controller, env, execution) {
    execution.waitUntil(runCron(createContext(env, defaultDeps, { requestId: nextId() })).then(() => undefined));
  },
  async queue(batch, env) {
    await handleQueueBatch(createContext(env, defaultDeps, { requestId: nextId() }), batch);
  },
} satisfies ExportedHandler<Env, unknown>;
