import chromiumBinary from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

/**
 * Launches a headless Chromium for browser tests: the one `@sparticuz/chromium` ships (unpacked
 * to the temp folder on first use), so the tests need no system browser and no download.
 *
 * @example
 * ```ts
 * const browser = await launchBrowser();
 * const page = await browser.newPage();
 * ```
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = await chromiumBinary.executablePath();
  // Its defaults are for Lambda; web security stays on, so the page is tested as a developer's browser runs it.
  const args = chromiumBinary.args.filter((arg) => arg !== '--disable-web-security' && arg !== '--allow-running-insecure-content');
  return chromium.launch({ executablePath, args, headless: true });
}
