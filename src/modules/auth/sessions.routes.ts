import { createRouter } from '../../lib/hono';

export const sessionsRouter = createRouter();
