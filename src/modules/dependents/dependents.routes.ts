import { createRouter } from '../../lib/hono';

export const dependentsRouter = createRouter();
