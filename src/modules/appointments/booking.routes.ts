import { createRouter } from '../../lib/hono';

export const bookingRouter = createRouter();
