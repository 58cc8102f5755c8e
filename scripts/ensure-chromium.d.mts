// Types of scripts/ensure-chromium.mjs for the end-to-end console checks.
import type { BrowserContext, BrowserContextOptions } from 'playwright-core';

export const CHROMIUM_PATH: string;
export const CHROMIUM_ARGS: string[];
export function ensureChromium(): string;
export function launchChromium(
  options?: BrowserContextOptions,
): Promise<{ context: BrowserContext; close(): Promise<void> }>;
