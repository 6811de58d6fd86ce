import { afterEach, describe, expect, it, vi } from 'vitest';
import { launchBrowser } from './support/browser';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('launchBrowser', () => {
  it('fails, never skips, naming the browser it tried and what to do, when that browser cannot start', async () => {
    // Prepare
    vi.stubEnv('CHROMIUM_PATH', '/nonexistent/chromium');

    // Act
    const outcome = await launchBrowser().then(
      (browser) => browser.close().then(() => 'started'),
      (error: unknown) => error,
    );

    // Assess
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(/^Chromium at \/nonexistent\/chromium could not start, so the browser test cannot run:/);
    expect((outcome as Error).message).toContain('Set CHROMIUM_PATH to a Chromium or Chrome executable that runs on this machine.');
  });
});
