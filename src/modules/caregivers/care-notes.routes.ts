import { createRouter } from '../../lib/hono';

export const careNotesRouter = createRouter();
