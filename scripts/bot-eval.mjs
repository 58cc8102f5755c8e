/**
 * `npm run bot:eval`: the offline schedule-bot parser's exact-match accuracy on its evaluation set
 * (test/modules/bot/eval-set.ts). Bundles the parser and the set with esbuild to a temporary file, runs
 * them, prints "offline parser: N/M exact (P %)" and every failure; exits 1 under 90 %.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const THRESHOLD = 0.9;
const dir = mkdtempSync(join(tmpdir(), 'bot-eval-'));
const outfile = join(dir, 'eval.mjs');
try {
  await build({
    entryPoints: ['test/modules/bot/eval-score.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
  });
  const { scoreEvalSet } = await import(pathToFileURL(outfile).href);
  const { exact, total, failures } = scoreEvalSet();
  const share = exact / total;
  for (const { message, expected, got } of failures) {
    console.log(
      `✗ ${JSON.stringify(message)}\n  expected ${JSON.stringify(expected)}\n  got      ${JSON.stringify(got)}`,
    );
  }
  console.log(`offline parser: ${exact}/${total} exact (${(share * 100).toFixed(1)} %)`);
  process.exitCode = share >= THRESHOLD ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
