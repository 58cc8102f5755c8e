/**
 * The D1 conformance cases (test/conformance/d1-cases.ts) against the SQLite adapter, under Bun
 * (`npm run test:conformance:bun`, over bun:sqlite) or Deno (`npm run test:conformance:deno`, over
 * node:sqlite). The same cases run against miniflare's D1 in the workers project
 * (test/conformance/d1.test.ts). Opens a fresh database file in a temporary directory (WAL, as the
 * entries open theirs), runs every case, prints one line per case and exits non-zero on a failure.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteD1 } from '../src/runtime/sqlite/d1';
import type { SqliteDriver } from '../src/runtime/sqlite/driver';
import { migrationsFromFiles } from '../src/runtime/sqlite/migrate';
import { runCases } from '../test/conformance/d1-cases';

declare const Bun: { version: string } | undefined;
declare const Deno: { version: { deno: string } } | undefined;

const started = performance.now();
const runtime =
  typeof Bun !== 'undefined' ? `bun ${Bun.version}` : typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}` : null;
if (!runtime) throw new Error('Run this with Bun or Deno: npm run test:conformance:bun / test:conformance:deno');

const dir = mkdtempSync(join(tmpdir(), 'kinwell-d1-'));
const file = join(dir, 'conformance.sqlite');
const driver: SqliteDriver =
  typeof Bun !== 'undefined'
    ? (await import('../src/runtime/sqlite/bun-driver')).bunSqlite(file)
    : (await import('../src/runtime/sqlite/node-driver')).nodeSqlite(file);
const db = sqliteD1(driver);

const migrationsDir = join(import.meta.dirname ?? '.', '..', 'migrations');
const migrations = migrationsFromFiles(
  readdirSync(migrationsDir)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => ({ name, sql: readFileSync(join(migrationsDir, name), 'utf8') })),
);

let failed = 0;
const journal = await db.prepare('PRAGMA journal_mode').first('journal_mode');
const foreignKeys = await db.prepare('PRAGMA foreign_keys').first('foreign_keys');
if (journal !== 'wal' || foreignKeys !== 1) {
  failed++;
  console.log(`✗ opened with journal_mode=${journal}, foreign_keys=${foreignKeys} (expected wal, 1)`);
}
for (const outcome of await runCases(db, { migrations })) {
  if (outcome.error) failed++;
  const mark = outcome.error ? '✗' : '✓';
  console.log(`${mark} ${outcome.name} (${outcome.ms.toFixed(0)} ms)`);
  if (outcome.error) console.log(`    ${outcome.error.stack ?? outcome.error.message}`);
}
db.close();
rmSync(dir, { recursive: true, force: true });
const seconds = ((performance.now() - started) / 1000).toFixed(2);
console.log(`D1 conformance on ${runtime}: ${failed ? `${failed} failed` : 'all passed'} in ${seconds} s`);
if (failed) (globalThis as { process?: { exit(code: number): never } }).process?.exit(1);
