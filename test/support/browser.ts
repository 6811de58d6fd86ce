/**
 * A real headless Chromium for browser tests, with nothing installed on the machine: the build
 * shipped inside the `@sparticuz/chromium` npm package, unpacked on first use to the system's
 * temporary folder, driven by `playwright-core`. `CHROMIUM_PATH` names another executable
 * instead (for example on macOS, where that build does not run).
 *
 * It never skips: when no browser can start, it throws and says why and what to do.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import chromiumBinary from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

/** Flags for a browser named by CHROMIUM_PATH: quiet, offline, headless, as root in a container. */
const OWN_BROWSER_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches a headless Chromium. Close it with `browser.close()`.
 *
 * @throws Error saying which browser could not start, why, and how to fix it.
 * @example
 * ```ts
 * const browser = await launchBrowser();
 * const page = await browser.newPage();
 * ```
 */
export async function launchBrowser(): Promise<Browser> {
  const own = process.env.CHROMIUM_PATH?.trim();
  const executablePath = own || (await bundledChromium());
  // The package's defaults are for Lambda; web security stays on, so the page is tested as a developer's browser runs it.
  const args = own
    ? OWN_BROWSER_ARGS
    : chromiumBinary.args.filter((arg) => arg !== '--disable-web-security' && arg !== '--allow-running-insecure-content');
  try {
    return await chromium.launch({ executablePath, args, headless: true, timeout: 60_000 });
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 6).join('\n');
    throw new Error(
      `Chromium at ${executablePath} could not start, so the browser test cannot run:\n${reason}\n` +
        `Set CHROMIUM_PATH to a Chromium or Chrome executable that runs on this machine${own ? '' : `, or delete ${executablePath} if an earlier unpacking was interrupted`}.`,
      { cause: error },
    );
  }
}

/** Unpacks the packaged Chromium once; a lock keeps test processes that start together from reading a half-written file. */
async function bundledChromium(): Promise<string> {
  const lock = join(tmpdir(), 'authgear-webhooks-chromium.lock');
  const giveUpAt = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than any unpacking was left by a process that died: go ahead without it.
      if (Date.now() > giveUpAt) break;
      await sleep(100);
    }
  }
  try {
    return await chromiumBinary.executablePath();
  } catch (error) {
    throw new Error(
      `the Chromium shipped in @sparticuz/chromium could not be unpacked to ${tmpdir()}: ${error instanceof Error ? error.message : String(error)}. Run npm install, or set CHROMIUM_PATH to a Chromium or Chrome executable.`,
      { cause: error },
    );
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
