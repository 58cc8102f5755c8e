import { createRouter } from '../../lib/hono';

export const authRouter = createRouter();
