import { createRouter } from '../../lib/hono';

export const settingsRouter = createRouter();
