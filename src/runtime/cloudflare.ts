import type { AppDeps } from '../context';
import { systemClock } from '../lib/clock';
import { randomBytes } from '../lib/ids';
import { cloudflareClientIp } from '../platform/client-ip';
import { r2Storage } from '../platform/files';
import { cloudflareQueue } from '../platform/jobs';
import type { PortAdapters } from '../platform/ports';
import { durableObjectRealtime } from '../platform/realtime';
import { cloudflareRequestCeiling } from '../platform/request-ceiling';

/**
 * The Cloudflare Workers runtime: R2 for files, Queues for jobs, the USER_HUB and CALL_ROOM Durable
 * Objects for sockets. The only place that names them; everything below receives them through AppDeps.
 */
export const cloudflareAdapters: PortAdapters = (env, { ids, log }) => ({
  storage: r2Storage(env.FILES, ids),
  jobs: cloudflareQueue(env.JOBS),
  realtime: durableObjectRealtime(env.USER_HUB, env.CALL_ROOM, (err) =>
    log.log('warn', 'realtime.notify failed', { error: String(err) }),
  ),
});

/**
 * What the Worker runs with (src/index.ts, and the Durable Objects, which the runtime starts on its
 * own): the system clock, crypto randomness, the global fetch, the Cloudflare adapters, the client's
 * address from `CF-Connecting-IP`, and the request ceiling on the `REQUEST_CEILING` rate-limiting
 * binding. Tests spread it and replace the seams they need.
 */
export const cloudflareDeps: AppDeps = {
  clock: systemClock,
  random: randomBytes,
  fetch: (input, init) => fetch(input, init),
  adapters: cloudflareAdapters,
  clientIp: cloudflareClientIp,
  requestCeiling: cloudflareRequestCeiling,
};
