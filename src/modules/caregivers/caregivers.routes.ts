import { createRouter } from '../../lib/hono';

export const caregiversRouter = createRouter();
