import { createRouter } from '../../lib/hono';

export const doctorsRouter = createRouter();
