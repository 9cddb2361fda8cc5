import '../support/quiet-logs.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { type Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import { harness, type Harness } from '../support/api-harness.ts';

/** The API docs page in a real browser against the real API (its generated OpenAPI document). */
const SCREENSHOT = 'test-output/api-docs.png';

describe('API docs page', () => {
  let h: Harness;
  let browser: Browser;
  let url: string;

  before(async () => {
    h = await harness();
    url = await h.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await h?.close();
  });

  test('lists every operation of the document, says who may call it, and filters', { timeout: 60_000 }, async () => {
    const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const expected = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/docs`);
    await page.waitForFunction(() => document.getElementById('ops')?.dataset.operations !== undefined, undefined, { timeout: 30_000 });
    assert.equal(await page.locator('details.op').count(), expected);
    assert.match((await page.locator('#version').textContent()) ?? '', /OpenAPI 3\.1/);
    const tokens = page.locator('details.op', { hasText: '/api/tokens/{id}' });
    assert.match((await tokens.locator('.access').textContent()) ?? '', /token: admin/);
    await tokens.locator('summary').click();
    assert.match((await tokens.locator('table').textContent()) ?? '', /id\s*path\s*required/);
    await page.fill('#filter', 'curtailment');
    const visible = await page.locator('details.op:visible').count();
    assert.ok(visible > 0 && visible < expected, `${visible} of ${expected} operations shown for "curtailment"`);
    await page.fill('#filter', '');
    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    assert.deepEqual(errors, []);
  });
});
