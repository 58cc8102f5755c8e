import { ensureChromium } from '../../scripts/ensure-chromium.mjs';

/** The e2e project's browser checks drive Debian's Chromium: installed here when missing (CI runs as root). */
export default function setup() {
  ensureChromium();
}
