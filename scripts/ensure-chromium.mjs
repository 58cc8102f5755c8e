// The browser of the end-to-end console checks (test/e2e/console.test.ts): Debian's Chromium at
// /usr/bin/chromium, driven by playwright-core (which downloads no browser of its own). When it is
// missing, this installs the `chromium` package with apt-get (CI runs as root with the Debian archive
// reachable); elsewhere it says what to run. The e2e project's globalSetup (test/e2e/global-setup.ts)
// calls it, so `npm test` and `npx vitest run --project e2e` get the browser on a fresh machine.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a closed network: no sandbox (root in CI), no GPU, and none of the
 * background fetches (component updates, sync, QUIC probes) that stall it when nothing answers.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Debian's Chromium through playwright-core, with a fresh profile (--user-data-dir, which playwright
 * takes as launchPersistentContext's first argument) removed again by `close()`. `options` are
 * playwright's context options (viewport, …). Resolves with `{ context, close }`.
 */
export async function launchChromium(options = {}) {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'kinwell-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: ensureChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
    ...options,
  });
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

const run = (command, args) =>
  execFileSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });

/** Installs Debian's chromium when /usr/bin/chromium is missing; returns its path. */
export function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`${CHROMIUM_PATH} is missing: run "sudo apt-get install -y --no-install-recommends chromium"`);
  }
  console.log('ensure-chromium: installing Debian chromium (apt-get)…');
  try {
    run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
  } catch {
    // A fresh machine may have no package lists yet.
    run('apt-get', ['update']);
    run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing`);
  return CHROMIUM_PATH;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(ensureChromium());
