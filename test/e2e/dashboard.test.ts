import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser } from 'playwright-core';
import { collectPageProblems, launchChromium } from '../support/browser.ts';
import type { Platform } from '../../services/platform/platform.ts';

/**
 * The operator page in a real browser against the real platform in this process: control
 * plane, site twin and agent on the small site, random ports, a temp data dir.
 */
const SCREENSHOT = 'test-output/dashboard.png';
const SCREENSHOT_CURTAILED = 'test-output/dashboard-curtailed.png';

describe('operator dashboard', () => {
  let platform: Platform;
  let browser: Browser;
  let dataDir: string;

  before(async () => {
    // The agent logs every poll at info; the loggers read LOG_LEVEL when first imported.
    process.env.LOG_LEVEL ??= 'warn';
    const { startPlatform } = await import('../../services/platform/platform.ts');
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
    platform = await startPlatform({
      sitePath: 'test/support/sites/small.yaml',
      port: 0,
      host: '127.0.0.1',
      dataDir,
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
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('shows live load by block state, the block table and headline numbers', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = collectPageProblems(page);

    await page.goto(platform.listening.url + '/');
    // Rows for every block of the site file.
    await page.waitForFunction((n) => document.querySelectorAll('#blocks tbody tr').length === n, platform.site.blocks.length, { timeout: 30_000 });
    await page.waitForFunction(() => document.getElementById('conn')?.dataset.state === 'live', undefined, { timeout: 30_000 });
    // Three 10-second buckets draw a visible area; the series are drawn as SVG paths.
    await page.waitForFunction(
      () => Number(document.getElementById('chart')?.dataset.points ?? 0) >= 3 && document.querySelectorAll('#chart .apexcharts-area-series path').length > 0,
      undefined,
      { timeout: 90_000, polling: 500 },
    );

    const sitePower = await page.textContent('#site-power');
    assert.match(sitePower ?? '', /\d+(\.\d+)? (kW|MW)/, `site power shows a number: ${sitePower}`);
    const hashrate = await page.textContent('#site-hashrate');
    assert.match(hashrate ?? '', /\d+(\.\d+)? (TH|PH|EH)\/s/, `hashrate shows a number: ${hashrate}`);
    const importLimit = await page.textContent('#import-limit');
    assert.match(importLimit ?? '', /0\.200 MW/);

    const rows = await page.$$eval('#blocks tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? '')),
    );
    const byId = new Map(rows.map((r) => [r[0]!.slice(0, 2), r]));
    assert.match(byId.get('B1')?.[1] ?? '', /Mining/);
    assert.match(byId.get('B3')?.[1] ?? '', /AI/);
    for (const r of rows) assert.match(r[2]!, /^\d+\.\d+/, `block ${r[0]} shows live MW: ${r[2]}`);

    // The plan panel says why there is no plan (the small site gives no hashprice), never blank.
    await page.waitForFunction(() => /^(No plan: |Margin )/.test(document.getElementById('plan-summary')?.textContent ?? ''), undefined, { timeout: 30_000 });
    assert.match((await page.textContent('#plan-summary')) ?? '', /No plan: no hashprice/);
    await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length > 0, undefined, { timeout: 30_000 });
    assert.equal((await page.textContent('#events tbody'))?.trim(), 'No curtailment events yet.');

    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(problems, []);
  });

  // Issue 10, finding 8: during a curtailment the page showed the shed blocks as "Mining", the
  // plan as "Mine", every asleep miner as online and no curtailed band.
  test('during a curtailment event: blocks and plan say curtailed by which event, miners sleeping, a curtailed band', { timeout: 180_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    const problems = collectPageProblems(page);
    await page.goto(platform.listening.url + '/');
    await page.waitForFunction(() => document.getElementById('conn')?.dataset.state === 'live', undefined, { timeout: 30_000 });

    // Every miner off: the AI pod alone draws more than 1 kW, so the target is below reach.
    const now = Date.now();
    const { eventId } = await platform.curtailment.request({ program: 'operator', target: { targetMw: 0.001 }, startMs: now, endMs: now + 10 * 60_000, requestedBy: 'e2e test', reason: 'e2e: page during an event' });
    const miners = platform.site.blocks.flatMap((b) => b.miners).reduce((n, g) => n + g.count, 0);
    try {
      await page.waitForFunction((id) => document.querySelector(`#curtailment .curtail-event[data-event="${id}"]`) !== null, eventId, { timeout: 60_000 });
      // The blocks whose miners are all held off read Curtailed, by this event.
      await page.waitForFunction(
        (id) => ['B1', 'B2'].every((b) => /Curtailed/.test(document.querySelector(`#blocks tr[data-block="${b}"] td:nth-child(2)`)?.textContent ?? '') && (document.querySelector(`#blocks tr[data-block="${b}"]`)?.textContent ?? '').includes(id)),
        eventId,
        { timeout: 60_000, polling: 250 },
      );
      // Asleep miners are counted as sleeping once polled asleep, and none as online.
      await page.waitForFunction((n) => (document.getElementById('miners-note')?.textContent ?? '').includes(`${n} sleeping`) && document.getElementById('miners-online')?.textContent === '0', miners, { timeout: 60_000, polling: 250 });
      // The plan panel: the held blocks are curtailed by this event (the small site has no plan of its own).
      await page.waitForFunction((id) => (document.querySelector('#plan tr[data-block="B1"]')?.textContent ?? '').includes(`Curtailed by ${id}`), eventId, { timeout: 60_000, polling: 250 });
      // The chart: a curtailed series and a band for the event.
      await page.waitForFunction((id) => (document.getElementById('chart')?.dataset.series ?? '').split(',').includes('Curtailed') && (document.getElementById('chart')?.dataset.bands ?? '').split(',').includes(id), eventId, { timeout: 60_000, polling: 250 });
      assert.ok((await page.$$('#chart .apexcharts-xaxis-annotations rect')).length > 0, 'the event band is drawn');
      // The target is below what the site can reach (the AI pod stays on): the event says so,
      // with the floor it holds at and why.
      await page.waitForFunction((id) => /Target below reach: holding at the floor of \d+\.\d+ MW/.test(document.querySelector(`#curtailment .curtail-event[data-event="${id}"] .curtail-floor`)?.textContent ?? ''), eventId, { timeout: 60_000, polling: 250 });
      const banner = (await page.textContent('#curtailment')) ?? '';
      assert.match(banner, /Curtailment in force/);
      assert.match(banner, /target 0\.001 MW/);
      // Polling goes on while the commands run: no miner went stale.
      assert.doesNotMatch((await page.textContent('#miners-note')) ?? '', /stale/);
      mkdirSync('test-output', { recursive: true });
      await page.screenshot({ path: SCREENSHOT_CURTAILED, fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await platform.curtailment.end(eventId, 'e2e test done');
    }
  });
});
