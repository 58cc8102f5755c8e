import { createRouter } from '../../lib/hono';

export const adminRouter = createRouter();
