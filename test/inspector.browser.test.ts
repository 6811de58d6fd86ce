/**
 * The local inspector (`/_inspector`) in a real headless Chromium: deliveries appear with the
 * right verdicts, a row shows the exact bytes, replay with a fresh timestamp and the send-sample
 * form both produce new rows. Runs the Chromium shipped in an npm package (test/support/browser.ts):
 * no browser needs to be installed, and the test fails, saying why, when none can start.
 */
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../shared/local/server';
import { sampleBody, signedRequest } from '../shared/testing';
import { FIXTURE_FUNCTIONS_DIR } from './support/fixture-handlers';
import { launchChromium } from './support/browser';
import { REPO_ROOT } from './support/paths';

const REPO = REPO_ROOT;
const OUTPUT = join(REPO, '.build', 'test-output', 'inspector');
const SECRET = 'inspector-test-secret-4f9a2c7e1b';

let server: LocalServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  server = await startLocalServer({
    projectRoot: REPO,
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    port: 0,
    env: { AUTHGEAR_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'silent' },
  });
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Runs `steps`; on failure saves a screenshot and names it in the error. */
async function withScreenshot(name: string, steps: () => Promise<void>): Promise<void> {
  const path = join(OUTPUT, `${name}.png`);
  try {
    await steps();
  } catch (error) {
    await page.screenshot({ path, fullPage: true }).catch(() => undefined);
    process.stderr.write(`inspector browser test failed; screenshot: ${path}\n`);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nScreenshot: ${path}`, { cause: error });
  }
  await page.screenshot({ path, fullPage: true });
}

async function post(path: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
  await res.text();
  return res.status;
}

/** A GET to the inspector with chosen headers, through node:http so Host can be set. */
function getInspector(headers: Record<string, string>): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = request(`${server.inspectorUrl}/api/rows?since=0`, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolvePromise(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('inspector in a headless browser', () => {
  it('shows deliveries with their verdicts and exact bytes, replays one with a fresh timestamp, and sends a sample', async () => {
    // Prepare
    const valid = signedRequest(sampleBody('user.pre_create', { givenName: 'Zoë <b>', familyName: 'Müller & Co' }), SECRET);
    const forged = signedRequest(sampleBody('user.created'), 'not-the-server-secret');
    expect(valid.body).toContain('\\u003cb\\u003e');
    expect(await post('/blocking/user.pre_create', valid.body, valid.headers)).toBe(200);
    expect(await post('/non-blocking', forged.body, forged.headers)).toBe(401);

    await withScreenshot('inspector', async () => {
      // Act
      await page.goto(server.inspectorUrl);
      const accepted = page.locator('details.delivery[data-type="user.pre_create"][data-signature="valid"][data-status="200"]');
      const refused = page.locator('details.delivery[data-signature="mismatch"][data-status="401"]');

      // Assess: both rows, with their verdicts
      await expect.poll(() => accepted.count()).toBe(1);
      await expect.poll(() => refused.count()).toBe(1);
      expect(await refused.locator('.c-type').textContent()).toBe('user.created (unverified)');
      expect(await accepted.locator('.c-outcome').textContent()).toBe('allowed');

      // Act: expand the accepted row
      await accepted.locator('summary').click();

      // Assess: the body exactly as sent, Go escapes shown literally
      expect(await accepted.locator('.request-body').textContent()).toBe(valid.body);
      expect(await accepted.locator('.request-headers').textContent()).toContain(
        `x-authgear-body-signature: ${valid.headers['x-authgear-body-signature']}`,
      );
      expect(await accepted.locator('.response-body').textContent()).toBe('{"is_allowed":true}');

      // Act: replay it with a fresh timestamp
      await accepted.getByRole('button', { name: 'Replay with a fresh timestamp' }).click();

      // Assess: a new 200 row for the replay
      const replayed = page.locator('details.delivery', { has: page.locator('.c-source', { hasText: 'fresh timestamp' }) });
      await expect.poll(() => replayed.count()).toBe(1);
      expect(await replayed.getAttribute('data-status')).toBe('200');
      expect(await replayed.getAttribute('data-signature')).toBe('valid');
      expect(await page.locator('#status').textContent()).toMatch(/^Replayed #\d+ with a fresh timestamp as #\d+: HTTP 200, allowed$/);

      // Act: the send-sample form
      await page.selectOption('#sample-type', 'user.created');
      await page.fill('#sample-email', 'ana@example.com');
      await page.getByRole('button', { name: 'Sign and send' }).click();

      // Assess: its row, queued and then handled by the example handler
      const sample = page.locator('details.delivery[data-type="user.created"]', {
        has: page.locator('.c-source', { hasText: 'sample from this page' }),
      });
      await expect.poll(() => sample.count()).toBe(1);
      expect(await sample.getAttribute('data-status')).toBe('200');
      await expect.poll(() => sample.locator('.c-outcome').textContent()).toBe('queued → handled');
      expect(await page.content()).not.toContain(SECRET);
    });
  });

  it('refuses requests that did not come from this machine, and API calls without its header', async () => {
    // Prepare
    const host = new URL(server.url).host;

    // Act
    const statuses = {
      ok: await getInspector({ host, 'x-inspector-request': '1' }),
      foreignHost: await getInspector({ host: 'attacker.example', 'x-inspector-request': '1' }),
      tunnelled: await getInspector({ host, 'x-inspector-request': '1', 'x-forwarded-for': '203.0.113.9' }),
      noHeader: await getInspector({ host }),
      crossOrigin: await getInspector({ host, 'x-inspector-request': '1', origin: 'https://attacker.example' }),
    };

    // Assess
    expect(statuses).toEqual({ ok: 200, foreignHost: 403, tunnelled: 403, noHeader: 403, crossOrigin: 403 });
  });
});
