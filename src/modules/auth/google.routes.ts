import { createRouter } from '../../lib/hono';

export const googleRouter = createRouter();
