import { createRouter } from '../../lib/hono';

export const recordsRouter = createRouter();
