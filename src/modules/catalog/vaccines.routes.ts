import { createRouter } from '../../lib/hono';

export const vaccinesRouter = createRouter();
