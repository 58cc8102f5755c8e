import { createRouter } from '../../lib/hono';

export const twoFactorRouter = createRouter();
