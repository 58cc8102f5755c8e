import { createRouter } from '../../lib/hono';

export const vaccinationsRouter = createRouter();
