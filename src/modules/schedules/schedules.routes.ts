import { createRouter } from '../../lib/hono';

export const schedulesRouter = createRouter();
