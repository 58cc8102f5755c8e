import { createRouter } from '../../lib/hono';

export const lifecycleRouter = createRouter();
