import { createRouter } from '../../lib/hono';

export const devicesRouter = createRouter();
