import { createApp } from './app';
import { createContext } from './context';
import type { Env } from './env';
import { runCron } from './jobs/cron';
import { handleQueueBatch } from './jobs/queue';
import { cloudflareDeps } from './runtime/cloudflare';

export { UserHub } from './realtime/user-hub.do';
export { VideoRoom } from './realtime/video-room.do';

const app = createApp(cloudflareDeps);
const nextId = () => `run_${crypto.randomUUID()}`;

/** The Worker: HTTP through Hono, the every-minute cron, and the JOBS queue (and its DLQ). */
export default {
  fetch: app.fetch,
  async scheduled(_controller, env, execution) {
    const waitUntil = (task: Promise<unknown>) => execution.waitUntil(task);
    waitUntil(runCron(createContext(env, cloudflareDeps, { requestId: nextId(), waitUntil })).then(() => undefined));
  },
  async queue(batch, env, execution) {
    const waitUntil = (task: Promise<unknown>) => execution.waitUntil(task);
    await handleQueueBatch(createContext(env, cloudflareDeps, { requestId: nextId(), waitUntil }), batch);
  },
} satisfies ExportedHandler<Env, unknown>;
