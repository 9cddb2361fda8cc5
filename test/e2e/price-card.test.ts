import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser } from 'playwright-core';
import { collectPageProblems, launchChromium } from '../support/browser.ts';
import type { Platform } from '../../services/platform/platform.ts';

/**
 * The operator page's power-price card in a real browser against the real platform (control
 * plane, twin, agent) on the small site with a live price file feed: the card shows the last
 * price, its interval and age; when the file stops growing the card shows the stale badge and
 * the control plane raises the price-feed-stale alert.
 */
const SCREENSHOT = 'test-output/dashboard-prices.png';
const STALE_AFTER_S = 20;

describe('operator page: live power price', () => {
  let platform: Platform;
  let browser: Browser;
  let dir: string;
  let pricesPath: string;

  before(async () => {
    process.env.LOG_LEVEL ??= 'warn';
    const { startPlatform } = await import('../../services/platform/platform.ts');
    dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-prices-'));
    pricesPath = join(dir, 'prices.csv');
    writeFileSync(pricesPath, 'timestamp,price_usd_per_mwh\n');
    // The small site, with a live price file beside it.
    const site = readFileSync(resolve('test/support/sites/small.yaml'), 'utf8');
    const sitePath = join(dir, 'site.yaml');
    writeFileSync(sitePath, `${site.trimEnd()}\nlivePrices:\n  source: file\n  file: prices.csv\n  intervalMinutes: 15\n  pollSeconds: 0.5\n  staleAfterMinutes: ${STALE_AFTER_S / 60}\n`);
    platform = await startPlatform({
      sitePath,
      port: 0,
      host: '127.0.0.1',
      dataDir: join(dir, 'data'),
      env: {},
      children: 'inline',
      minerPort: 0,
      meterPort: 0,
      intervals: { minerMs: 1000, meterMs: 500, shipMs: 500 },
      print: () => undefined,
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await platform?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('shows the last price and its age, then the stale badge and alert when the feed stops', { timeout: 150_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = collectPageProblems(page);
    // A 15-minute interval that ends now, as a price writer appends it (whole seconds).
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 900_000;
    appendFileSync(pricesPath, `${new Date(startMs).toISOString()},9000.5\n`);

    await page.goto(platform.listening.url + '/');
    await page.waitForFunction(() => document.getElementById('price-last')?.textContent === '9000.50', undefined, { timeout: 30_000, polling: 250 });
    assert.equal(await page.isVisible('#price-card'), true);
    assert.equal(await page.isVisible('#price-stale'), false, 'fresh: no stale badge');
    const note = (await page.textContent('#price-note')) ?? '';
    assert.match(note, new RegExp(`interval from ${new Date(startMs).toISOString().slice(5, 16).replace('T', ' ')}Z \\(15 min\\) · received (just now|\\d+ s ago)`));
    assert.equal(await page.textContent('#price-point'), '· LZ_WEST', 'the site\'s settlement point');
    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });

    // Nothing more is written: after STALE_AFTER_S the badge shows and the alert is raised.
    await page.waitForFunction(() => document.getElementById('price-card')?.dataset.stale === 'true' && !document.getElementById('price-stale')?.hidden, undefined, { timeout: (STALE_AFTER_S + 30) * 1000, polling: 500 });
    assert.match((await page.textContent('#price-note')) ?? '', /stale: strikes paused/);
    const alerts = (await (await fetch(`${platform.listening.url}/api/alerts`)).json()) as { active: Array<{ kind: string; message: string }> };
    const stale = alerts.active.find((a) => a.kind === 'price-feed-stale');
    assert.ok(stale, `alerts: ${JSON.stringify(alerts.active)}`);
    assert.match(stale.message, /last price 9000\.5 \$\/MWh/);
    // A stale feed starts no curtailment.
    const events = (await (await fetch(`${platform.listening.url}/api/curtailment/events`)).json()) as { events: unknown[] };
    assert.deepEqual(events.events, []);
    assert.deepEqual(problems, []);
  });
});
