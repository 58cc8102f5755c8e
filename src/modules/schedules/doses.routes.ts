import { createRouter } from '../../lib/hono';

export const dosesRouter = createRouter();
