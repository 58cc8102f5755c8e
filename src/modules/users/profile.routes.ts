import { createRouter } from '../../lib/hono';

export const profileRouter = createRouter();
