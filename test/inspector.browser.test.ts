/**
 * The local inspector (`/_inspector`) in a real headless Chromium: deliveries appear with their
 * outcomes, failures stand out (colour, icon and words), rows say they open and show the whole
 * outcome chain, JSON is formatted with copy buttons, an invalid answer shows what the handler
 * returned and why it was refused, filters work, nothing scrolls sideways at 900 px, and the
 * list works from the keyboard. Replay and the send-sample form produce new rows. A screenshot
 * is saved to .build/test-output/inspector/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../shared/local/server';
import { sampleBody, signedRequest } from '../shared/testing';
import { launchBrowser } from './support/browser';
import { handlerProject } from './support/handler-project';
import { removeTemporaryDirs } from './support/local-server';
import { REPO_ROOT } from './support/paths';

// The browser globals the page functions below use: this project's TypeScript has no DOM library.
interface BrowserElement {
  readonly tagName: string;
  readonly id: string;
  readonly open?: boolean;
  readonly dataset: Record<string, string>;
  closest(selector: string): BrowserElement | null;
  contains(other: unknown): boolean;
}
declare const document: {
  readonly activeElement: BrowserElement | null;
  readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
  getElementById(id: string): BrowserElement | null;
};
declare const navigator: { readonly clipboard: { readText(): Promise<string> } };
declare function getComputedStyle(
  element: unknown,
  pseudo?: string,
): { readonly content: string; readonly borderLeftColor: string; readonly color: string; readonly outlineStyle: string };

const OUTPUT = join(REPO_ROOT, '.build', 'test-output', 'inspector');
const SECRET = 'inspector-test-secret-4f9a2c7e1b';
const HANDLERS: Readonly<Record<string, string>> = {
  'blocking/user.pre_create.ts': "export default defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));",
  'blocking/user.profile.pre_update.ts':
    "export default defineBlockingHandler('user.profile.pre_update', () => { throw new Error('profile service down'); });",
  'blocking/oidc.jwt.pre_create.ts':
    "export default defineBlockingHandler('oidc.jwt.pre_create', () => ({ is_allowed: true, mutations: { jwt: { payload: { plan: 'free' } } } }) as never);",
  'non-blocking/user.created.ts': "export default defineNonBlockingHandler('user.created', () => {});",
  'non-blocking/user.disabled.ts': "export default defineNonBlockingHandler('user.disabled', () => { throw new Error('crm down'); });",
};

let root: string;
let server: LocalServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  root = handlerProject(HANDLERS);
  // A one-minute retry window played 3600 times faster: a failing event is dead-lettered at once.
  server = await startLocalServer({
    projectRoot: root,
    port: 0,
    env: { AUTHGEAR_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'silent', RETRY_WINDOW_MINUTES: '1', LOCAL_RETRY_SPEEDUP: '3600' },
  });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  removeTemporaryDirs();
});

/** Runs `steps`; saves a screenshot either way, and names it in the error on failure. */
async function withScreenshot(name: string, steps: () => Promise<void>): Promise<void> {
  const path = join(OUTPUT, `${name}.png`);
  try {
    await steps();
  } catch (error) {
    await page.screenshot({ path, fullPage: true }).catch(() => undefined);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nScreenshot: ${path}`, { cause: error });
  }
  await page.screenshot({ path, fullPage: true });
}

async function post(path: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
  await res.text();
  return res.status;
}

async function deliver(type: Parameters<typeof sampleBody>[0], secret = SECRET): Promise<{ status: number; body: string }> {
  const signed = signedRequest(sampleBody(type), secret);
  const path = type.includes('pre_') || type.startsWith('oidc.') ? `/blocking/${type}` : '/non-blocking';
  return { status: await post(path, signed.body, signed.headers), body: signed.body };
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

const row = (type: string): Locator => page.locator(`details.delivery[data-type="${type}"]`).first();
const afterContent = (locator: Locator): Promise<string> => locator.evaluate((el) => getComputedStyle(el, '::after').content);

describe('inspector in a headless browser', () => {
  it('shows failures apart from successes, with the whole outcome chain, formatted JSON, the refused answer, filters, and no sideways scroll at 900 px', async () => {
    // Prepare
    const accepted = await deliver('user.pre_create');
    const jwt = await deliver('oidc.jwt.pre_create');
    expect(accepted.status).toBe(200);
    expect(jwt.status).toBe(200);
    expect(await deliver('user.profile.pre_update')).toMatchObject({ status: 200 });
    expect(await deliver('user.disabled')).toMatchObject({ status: 200 });
    expect(await deliver('user.deleted')).toMatchObject({ status: 200 });
    expect(await deliver('user.created', 'not-the-server-secret')).toMatchObject({ status: 401 });

    await withScreenshot('inspector', async () => {
      // Act
      await page.goto(server.inspectorUrl);
      const policy = row('user.profile.pre_update');
      const dead = row('user.disabled');

      // Assess: outcomes in words and icons, failures coloured apart
      await expect.poll(() => page.locator('details.delivery').count()).toBe(6);
      expect(await row('user.pre_create').getAttribute('data-kind')).toBe('handled');
      expect(await row('user.pre_create').locator('.c-outcome').textContent()).toBe('✓ Handled: allowed');
      expect(await policy.getAttribute('data-kind')).toBe('error_policy');
      expect(await policy.locator('.c-outcome').textContent()).toBe('✗ Error policy answered: error policy: deny');
      await expect.poll(() => dead.getAttribute('data-outcome')).toBe('queued → retry_scheduled → dead_lettered');
      await page.reload();
      expect(await dead.locator('.c-outcome').textContent()).toBe('✗ Failed: dead-lettered after 2 attempts');
      expect(await row('user.deleted').locator('.c-outcome').textContent()).toBe('– No handler: no handler: acknowledged');
      expect(await row('user.created (unverified)').locator('.c-outcome').textContent()).toBe('! Refused: refused: signature_mismatch');
      const border = (locator: Locator): Promise<string> => locator.evaluate((el) => getComputedStyle(el).borderLeftColor);
      expect(await border(policy)).toBe(await border(dead));
      expect(await border(policy)).not.toBe(await border(row('user.pre_create')));
      expect(await policy.locator('.c-status').evaluate((el) => getComputedStyle(el).color)).not.toBe(
        await row('user.pre_create')
          .locator('.c-status')
          .evaluate((el) => getComputedStyle(el).color),
      );

      // Act: open the dead-lettered row
      expect(await afterContent(dead.locator('.c-open'))).toBe('"Open ▸"');
      await dead.locator(':scope > summary').click();

      // Assess: it says it can close, and shows every step with why
      expect(await afterContent(dead.locator('.c-open'))).toBe('"Close ▾"');
      expect(await dead.locator('.chain > li').allInnerTexts()).toEqual([
        expect.stringMatching(/^Answer: queued\n/),
        expect.stringMatching(/^Attempt 1: retry_scheduled\nthe handler failed \(attempt 1 of 2\): Error: crm down; next retry in /),
        expect.stringMatching(/^Attempt 2: dead_lettered\nthe handler failed \(attempt 2 of 2\): Error: crm down; no attempts left/),
      ]);

      // Act: open the JWT row, whose handler's answer was refused
      const refused = row('oidc.jwt.pre_create');
      await refused.locator(':scope > summary').click();

      // Assess: formatted JSON, the exact bytes, what the handler returned and why it was refused
      expect(await refused.locator('pre.request-json').textContent()).toBe(JSON.stringify(JSON.parse(jwt.body), null, 2));
      expect(await refused.locator('pre.request-body').textContent()).toBe(jwt.body);
      expect(await refused.locator('pre.returned').textContent()).toBe(
        JSON.stringify({ is_allowed: true, mutations: { jwt: { payload: { plan: 'free' } } } }, null, 2),
      );
      expect(await refused.locator('.violations').textContent()).toContain(
        'claim "sub" of the original token was removed; echo every original claim',
      );

      // Act: copy the formatted body
      await refused
        .locator('.block', { has: page.locator('pre.request-json') })
        .getByRole('button', { name: /^Copy/ })
        .click();

      // Assess
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(JSON.stringify(JSON.parse(jwt.body), null, 2));

      // Act: filter
      await page.selectOption('#filter-outcome', 'problems');
      const problems = await page
        .locator('details.delivery:not([hidden])')
        .evaluateAll((rows) => rows.map((r) => (r as unknown as BrowserElement).dataset.kind));
      const shownProblems = await page.locator('#shown').textContent();
      await page.selectOption('#filter-outcome', '');
      await page.selectOption('#filter-type', 'user.disabled');
      const byType = await page
        .locator('details.delivery:not([hidden])')
        .evaluateAll((rows) => rows.map((r) => (r as unknown as BrowserElement).dataset.type));
      await page.selectOption('#filter-type', '');

      // Assess
      expect(problems.sort()).toEqual(['error_policy', 'error_policy', 'failed', 'refused']);
      expect(shownProblems).toBe('4 of 6 shown');
      expect(await page.locator('#filter-outcome option[value="problems"]').textContent()).toBe(
        'Problems: error policy, failed, refused (4)',
      );
      expect(byType).toEqual(['user.disabled']);

      // Act: a 900 px window, long rows open
      await page.setViewportSize({ width: 900, height: 900 });
      await policy.locator(':scope > summary').click();

      // Assess: nothing wider than the window
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    });
  });

  it('can be used from the keyboard: Tab reaches a row, Enter opens it, Tab goes on into it', async () => {
    // Prepare
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.goto(server.inspectorUrl);
    await page.locator('body').focus();

    // Act: Tab until a row has focus
    let tag = '';
    for (let i = 0; i < 30 && tag !== 'SUMMARY'; i++) {
      await page.keyboard.press('Tab');
      tag = await page.evaluate(() => document.activeElement?.tagName ?? '');
    }
    const id = await page.evaluate(() => document.activeElement?.closest('details')?.id);
    await page.keyboard.press('Enter');
    const opened = await page.locator(`#${id}`).evaluate((el) => (el as unknown as BrowserElement).open);
    await page.keyboard.press('Tab');
    const inside = await page.evaluate((rowId) => document.getElementById(rowId ?? '')?.contains(document.activeElement) ?? false, id);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);

    // Assess
    expect(tag).toBe('SUMMARY');
    expect(opened).toBe(true);
    expect(inside).toBe(true);
    expect(outline).toBe('solid');
  });

  it('replays a delivery with a fresh timestamp and sends a sample, each a new row', async () => {
    await withScreenshot('inspector-actions', async () => {
      // Prepare
      await page.goto(server.inspectorUrl);
      const accepted = row('user.pre_create');
      await accepted.locator(':scope > summary').click();

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

      // Assess: its row, queued and then handled
      const sample = page.locator('details.delivery[data-type="user.created"]', {
        has: page.locator('.c-source', { hasText: 'sample from this page' }),
      });
      await expect.poll(() => sample.count()).toBe(1);
      expect(await sample.getAttribute('data-status')).toBe('200');
      await expect.poll(() => sample.getAttribute('data-outcome')).toBe('queued → handled');
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
