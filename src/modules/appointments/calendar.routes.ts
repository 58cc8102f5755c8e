import { createRouter } from '../../lib/hono';

export const calendarRouter = createRouter();
