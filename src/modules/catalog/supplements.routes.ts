import { createRouter } from '../../lib/hono';

export const supplementsRouter = createRouter();
