import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser } from 'playwright-core';
import { collectPageProblems, launchChromium } from '../support/browser.ts';
import type { Platform } from '../../services/platform/platform.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { LedgerService } from '../../services/finance/ledger-service.ts';
import { logger } from '../../services/lib/log.ts';
import { loadMarketSources } from '../../services/scheduler/market-sources.ts';
import { openStore } from '../../services/store/sqlite.ts';
import { createHistory } from '../../services/telemetry/index.ts';

/**
 * The finance page in real Chromium against the real platform (control plane, twin, agent) on
 * the finance test site with its company file. Three past days of history are written and
 * backfilled into the ledger first (as `switchyard ledger` does); every money figure the page
 * shows is compared with the API's to the cent. The screenshot goes to the README.
 */

const SITE = 'test/support/finance/site.yaml';
const COMPANY = resolve('test/support/finance/company.yaml');
const SCREENSHOT = 'dashboards/finance/screenshot.png';
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const from = iso(today - 3 * DAY);
const to = iso(today);

// The page's format (dashboards/shared/format.js usd).
const usd = (n: number | null) => (n === null ? '—' : `${n < 0 ? '−' : ''}$${Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);

describe('finance page', () => {
  let platform: Platform;
  let browser: Browser;
  let dataDir: string;
  let token: string;
  const apiJson = async (path: string) => {
    const r = await fetch(platform.listening.url + path, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `${path}: ${r.status}`);
    return r.json() as Promise<Record<string, unknown>>;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-finance-e2e-'));
    mkdirSync(dataDir, { recursive: true });
    // Three past days: B1 and B2 mining (power and hashrate vary by hour), B3 the AI pod.
    const site = loadSiteFile(SITE);
    const history = createHistory({ dataDir, env: {} });
    const points = [];
    for (let d = 3; d >= 1; d--) {
      for (let h = 0; h < 24; h++) {
        const at = today - d * DAY + h * 3_600_000 + 1_800_000;
        const curtailed = h >= 17 && h < 20; // evening peak: B1 asleep
        points.push({ measurement: 'block', tags: { block: 'B1', state: 'mining' }, fields: { power_w: curtailed ? 1_200 : 55_000 + 100 * h, hashrate_hs: curtailed ? 0 : 2.9e15 }, atMs: at });
        points.push({ measurement: 'block', tags: { block: 'B2', state: 'mining' }, fields: { power_w: 23_600, hashrate_hs: 1.9e15 }, atMs: at });
        points.push({ measurement: 'block', tags: { block: 'B3', state: 'ai' }, fields: { power_w: 24_400 + 50 * d }, atMs: at });
      }
    }
    await history.write(points);
    const store = openStore({ dataDir });
    const market = await loadMarketSources({ site, sitePath: SITE });
    await new LedgerService({ site, db: store.db, history, market, btcPriceUsd: 90_000, log: logger('ledger') }).backfill(today - 3 * DAY, today);
    await history.close();
    store.close();

    const { startPlatform } = await import('../../services/platform/platform.ts');
    platform = await startPlatform({
      sitePath: SITE,
      port: 0,
      host: '127.0.0.1',
      dataDir,
      env: { SWITCHYARD_COMPANY: COMPANY },
      children: 'inline',
      minerPort: 0,
      meterPort: 0,
      intervals: { minerMs: 1000, meterMs: 500, shipMs: 500 },
      print: () => undefined,
    });
    token = readFileSync(platform.adminTokenPath, 'utf8').trim();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await platform?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('margins, ladder, forward DSCR and headroom match the API to the cent', { timeout: 120_000 }, async () => {
    const margins = (await apiJson(`/api/finance/margins?from=${from}&to=${to}&groupBy=block`)) as { groups: Record<string, number | string>[]; total: Record<string, number> };
    const debt = (await apiJson('/api/finance/debt')) as { covenants: Record<string, unknown>[]; btcLoans: Record<string, number | string>[]; ladder: unknown[] };
    assert.equal(margins.groups.length, 3);
    assert.ok(debt.ladder.length > 0);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1700 } });
    const problems = collectPageProblems(page);
    await page.goto(`${platform.listening.url}/finance/?from=${from}&to=${to}#token=${token}`);
    await page.waitForFunction(() => document.querySelectorAll('#margins tbody tr').length === 4 && document.querySelectorAll('#headroom tbody tr').length > 0, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => ['chart-margin-blocks', 'chart-mix', 'chart-mix-days', 'chart-per-mwh', 'chart-ladder', 'chart-dscr'].every((id) => document.querySelector(`#${id} svg`)), undefined, { timeout: 30_000 });

    const cell = (row: string, field: string) => page.textContent(`${row} td[data-field="${field}"]`);
    for (const g of [...margins.groups, { ...margins.total, key: 'total' }]) {
      for (const f of ['marginUsd', 'marginUsdPerMwDay', 'marginUsdPerMwh']) {
        assert.equal(await cell(`#margins tr[data-key="${g.key}"]`, f), usd(g[f] as number), `${g.key} ${f}`);
      }
    }
    for (const c of debt.covenants) {
      const row = `#headroom tr[data-instrument="${c.instrumentId}"][data-kind="${c.kind}"]`;
      assert.equal(await cell(row, 'breaksAtBtcUsd'), usd(c.breaksAtBtcUsd as number | null), `${c.instrumentId} ${c.kind} BTC`);
      assert.equal(await cell(row, 'breaksAtHashpriceUsdPerPhDay'), usd(c.breaksAtHashpriceUsdPerPhDay as number | null), `${c.instrumentId} ${c.kind} hashprice`);
    }
    const loan = debt.btcLoans[0]!;
    assert.equal(await cell(`#headroom tr[data-instrument="${loan.instrumentId}"][data-kind="margin-call"]`, 'marginCallBtcUsd'), usd(loan.marginCallBtcUsd as number));
    // BTC-L: $120,000 on 2 BTC at $90,000 → LTV 66.67 %, its 70 % covenant breaks at $85,714.29:
    // 4.8 % of headroom, coloured close; a covenant already failing is coloured as a breach.
    assert.equal(await page.getAttribute('#headroom tr[data-instrument="BTC-L"][data-kind="max-ltv"]', 'class'), 'close');
    assert.equal(await page.getAttribute('#headroom tr[data-instrument="TL-A"][data-kind="min-dscr"]', 'class'), 'breach');

    // CN-T: $50,000 converting at $20 a share while the share is $10: refinanced at maturity.
    assert.equal(await page.textContent('#convertibles'), 'CN-T: $50,000.00 converts at $20.00 a share (now $10.00): out of the money, $50,000.00 to refinance at 2030-06-15.');

    // The CSV export is fetched with the token and downloaded: the same figures as the API's.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.match(csv, /^block,days,capacityMw,meteredMwh,/);
    const b1 = margins.groups.find((g) => g.key === 'B1')!;
    assert.match(csv, new RegExp(`\r\nB1,3,[^\r]*,${b1.marginUsd},`));

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(problems, []);
  });

  test('a viewer sees the summary only, and how to open the detail', { timeout: 60_000 }, async () => {
    const created = await fetch(`${platform.listening.url}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'finance-page-viewer', role: 'viewer' }),
    });
    assert.equal(created.status, 201);
    const viewer = ((await created.json()) as { secret: string }).secret;
    const page = await browser.newPage();
    await page.goto(`${platform.listening.url}/finance/?from=${from}&to=${to}#token=${viewer}`);
    await page.waitForFunction(() => /^Summary: /.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 30_000 });
    assert.match((await page.textContent('#status')) ?? '', /debt \$\d[\d,]*\.\d\d, \d+ covenant\(s\) breaking on the forward model\. the detail needs a finance or admin token/);
    assert.equal(await page.$$eval('#margins tbody tr', (trs) => trs.length), 0);
  });
});
