#!/usr/bin/env node
/**
 * Migration drift check (part of `npm test`): fails when `src/db/schema` differs from what
 * `migrations/` builds, i.e. when someone changed a table and forgot `npm run db:generate`.
 *
 * It runs `drizzle-kit generate` against a temporary copy of `migrations/`, so the working tree is
 * never touched, and needs no network and no database: drizzle-kit compares the schema with the
 * last snapshot in `migrations/meta`. Any file the run adds to the copy is drift (the SQL is printed);
 * a run that asks a question (drizzle-kit prompts on ambiguous renames) is drift too, since stdin is
 * closed. drizzle-kit exits 0 even on its own errors, so success is "no new file" and its own
 * "No schema changes" line, nothing less.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const migrations = join(root, 'migrations');
const bin = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'drizzle-kit.cmd' : 'drizzle-kit');

/** Every file under `dir`, as paths relative to it. */
function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

const scratch = mkdtempSync(join(tmpdir(), 'kinwell-migrations-'));
let failed = true;
try {
  cpSync(migrations, join(scratch, 'migrations'), { recursive: true });
  // drizzle-kit prefixes `--out` with "./", so it runs inside the scratch folder with relative paths.
  const run = spawnSync(
    bin,
    [
      'generate',
      '--dialect',
      'sqlite',
      '--schema',
      relative(scratch, join(root, 'src/db/schema/index.ts')),
      '--out',
      'migrations',
    ],
    { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const before = new Set(files(migrations));
  const added = files(join(scratch, 'migrations')).filter((file) => !before.has(file));
  const changed = files(migrations).filter(
    (file) => readFileSync(join(migrations, file), 'utf8') !== readFileSync(join(scratch, 'migrations', file), 'utf8'),
  );
  if (added.length || changed.length) {
    console.error(
      'Schema drift: src/db/schema differs from migrations/. Run `npm run db:generate` and commit the result.',
    );
    for (const file of [...added, ...changed].filter((f) => f.endsWith('.sql'))) {
      console.error(`\n--- ${file}\n${readFileSync(join(scratch, 'migrations', file), 'utf8')}`);
    }
  } else if (run.error || run.status !== 0 || !/No schema changes/.test(output)) {
    // A prompt it could not ask (an ambiguous rename) ends here too: that is drift as well.
    console.error('drizzle-kit generate did not confirm the migrations are up to date (run `npm run db:generate`):');
    console.error(run.error ? String(run.error) : output);
  } else {
    console.log('Migrations are up to date with src/db/schema.');
    failed = false;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
