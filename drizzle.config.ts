import { defineConfig } from 'drizzle-kit';

/**
 * `npm run db:generate` writes SQL migrations into ./migrations, which `wrangler d1 migrations apply`
 * applies locally (npm run dev), in tests (test/apply-migrations.ts) and in production (README).
 */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema/index.ts',
  out: './migrations',
});
