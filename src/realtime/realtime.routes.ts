import { createRouter } from '../lib/hono';

export const realtimeRouter = createRouter();
