import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser } from 'playwright-core';
import { collectPageProblems, launchChromium } from '../support/browser.ts';
import type { ControlPlane } from '../../services/platform/control-plane.ts';

/**
 * The what-if page in a real browser against the real control plane (demo company): run a
 * scenario from the form, watch it finish, check the page shows what the API says, run a
 * second one and compare the two.
 */
const SCREENSHOT = 'test-output/whatif.png';

describe('what-if page', () => {
  let cp: ControlPlane;
  let browser: Browser;
  let dataDir: string;
  let admin: string;

  before(async () => {
    process.env.LOG_LEVEL ??= 'warn';
    const { startControlPlane } = await import('../../services/platform/control-plane.ts');
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-whatif-'));
    cp = await startControlPlane({ sitePath: 'infra/sites/demo.yaml', companyPath: 'infra/sites/demo-company.yaml', simulationWorkers: 1, port: 0, host: '127.0.0.1', dataDir, env: {}, print: () => undefined });
    admin = readFileSync(cp.adminTokenPath, 'utf8').trim();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await cp?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('form with the company defaults, progress, fan charts, NPV histogram, probabilities as the API says, saved runs compared', { timeout: 240_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 2200 } });
    const problems = collectPageProblems(page);
    await page.goto(`${cp.listening.url}/whatif/#token=${admin}`);
    await page.waitForFunction(() => document.body.dataset.ready === '1', undefined, { timeout: 30_000 });
    assert.equal(await page.textContent('#company'), 'Switchyard Demo Co');
    assert.equal(await page.inputValue('select[name="decisionBlock"]'), 'B1');
    assert.ok(await page.locator('input[name="default-colo-1"]').count());

    const run = async (name: string, vol: string) => {
      await page.fill('input[name="name"]', name);
      await page.fill('input[name="paths"]', '400');
      await page.fill('input[name="horizonMonths"]', '24');
      await page.fill('input[name="btcVol"]', vol);
      await page.click('#run');
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'done', undefined, { timeout: 180_000 });
    };
    await run('calm', '30');
    assert.match((await page.getAttribute('#progress-bar', 'style'))!, /width: 100(\.0)?%/);
    for (const id of ['#fan-margin', '#fan-cash', '#fan-dscr', '#npv-hist']) assert.ok(await page.locator(`${id} svg`).count(), `${id} drawn`);

    // The page shows the API's numbers.
    const list = await (await fetch(`${cp.listening.url}/api/simulations`, { headers: { authorization: `Bearer ${admin}` } })).json() as { simulations: { id: string; name: string }[] };
    const calm = list.simulations.find((s) => s.name === 'calm')!;
    const detail = await (await fetch(`${cp.listening.url}/api/simulations/${calm.id}`, { headers: { authorization: `Bearer ${admin}` } })).json() as { result: { btcLoans: { marginCallProbability: number; marginCallProbabilitySe: number }[]; cash12: { var: number } } };
    const loanRow = page.locator('#probabilities tbody tr', { hasText: 'BTC-LOAN-1 margin call' });
    assert.equal(await loanRow.locator('td').nth(2).textContent(), `${(detail.result.btcLoans[0]!.marginCallProbability * 100).toFixed(2)} %`);
    assert.equal(await loanRow.locator('td').nth(3).textContent(), `± ${(detail.result.btcLoans[0]!.marginCallProbabilitySe * 100).toFixed(2)} %`);
    assert.match((await page.textContent('#var'))!, new RegExp(`VaR95 \\$${(detail.result.cash12.var / 1e6).toFixed(1)}M`));

    await run('wild', '90');
    await page.waitForFunction(() => document.querySelectorAll('#saved tbody tr').length === 2);
    for (const cb of await page.locator('#saved tbody input[type="checkbox"]').all()) await cb.check();
    await page.click('#compare');
    await page.waitForSelector('#compare-view:not([hidden]) #compare-chart svg');
    const headers = await page.locator('#compare-table thead th').allTextContents();
    assert.deepEqual(headers.slice(1).sort(), ['calm', 'wild']);
    assert.ok((await page.locator('#compare-table tbody tr').count()) >= 6);

    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(problems, []);
  });
});
