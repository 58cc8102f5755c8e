// Types of scripts/vendor-assets.mjs for vitest.config.ts.
export const VENDOR_DIR: string;
export function vendorAssets(): string[];
