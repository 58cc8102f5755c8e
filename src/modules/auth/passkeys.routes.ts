import { createRouter } from '../../lib/hono';

export const passkeysRouter = createRouter();
