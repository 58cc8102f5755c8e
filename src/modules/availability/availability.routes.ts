import { createRouter } from '../../lib/hono';

export const availabilityRouter = createRouter();
