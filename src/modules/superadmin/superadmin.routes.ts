import { createRouter } from '../../lib/hono';

export const superadminRouter = createRouter();
