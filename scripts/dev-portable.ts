/**
 * `npm run dev:bun` / `npm run dev:deno`: the Bun or Deno entry on the local SQLite file
 * (`.data/kinwell.sqlite`, or DB_FILE), migrated and with the demo seed loaded (idempotent), on PORT
 * (default 8787). The local secrets come from `.dev.vars` (scripts/dev-vars.mjs runs first).
 */
import { seedSql } from './seed.mjs';

declare const Bun: unknown;

const seed: string = seedSql();
if (typeof Bun !== 'undefined') {
  const { serveBun } = await import('../src/runtime/bun');
  await serveBun({ mode: 'development', seedSql: seed });
} else {
  const { serveDeno } = await import('../src/runtime/deno');
  await serveDeno({ mode: 'development', seedSql: seed });
}
