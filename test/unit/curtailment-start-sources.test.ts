import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { logger } from '../../services/lib/log.ts';
import { FakePort } from '../support/fake-port.ts';
import { startSources } from '../../services/curtailment/sources/start-sources.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { until } from '../support/until.ts';

/** The site file decides which event sources run, and they reach the engine's port. */

const base = loadSiteFile('test/support/sites/curtail.yaml');
const log = logger('test');

describe('curtailment sources from the site file', () => {
  it('none configured: none started', async () => {
    const running = startSources(base, new FakePort(), new LiveState(base), {}, log);
    assert.deepEqual(running.names, []);
    await running.stop();
  });

  it('the control plane trips on the revenue meter frequency and asks for the configured shed', async () => {
    const site: SiteFile = { ...base, curtailment: { restoreRampMwPerMin: 20, restoreStaggerSeconds: 2, minOffMinutes: 1, underFrequency: { tripHz: 59.7, shedMw: 3, maxDurationMinutes: 30, allowAi: false } } };
    const live = new LiveState(site);
    const port = new FakePort();
    const running = startSources(site, port, live, {}, log);
    assert.deepEqual(running.names, ['under-frequency']);
    const meter = (seq: number, hz: number) =>
      live.apply({ agentId: 'a', siteId: site.site.id, seq, sentAtMs: 1_000 * seq, readings: [{ deviceId: 'M-REV', kind: 'meter', atMs: 1_000 * seq, status: 'online', metrics: { power_w: 9e6, frequency_hz: hz } }] });
    meter(1, 60.0);
    meter(2, 59.62);
    await until('the under-frequency request', () => port.requests.length > 0, 5_000, 5);
    assert.equal(port.requests.length, 1);
    assert.equal(port.requests[0]!.program, 'under-frequency');
    assert.deepEqual(port.requests[0]!.target, { shedMw: 3 });
    await running.stop();
  });

  it('4CP windows without a cap, and OpenADR without its secret, are refused with the reason', () => {
    const fourCp: SiteFile = { ...base, dispatch: { ...(base.dispatch ?? ({} as NonNullable<SiteFile['dispatch']>)), fourCpWindows: [{ start: '2026-07-15T21:00:00Z', end: '2026-07-15T21:15:00Z' }] } as NonNullable<SiteFile['dispatch']> };
    assert.throws(() => startSources(fourCp, new FakePort(), new LiveState(base), {}, log), /dispatch.fourCpWindows needs dispatch.fourCpCapMw/);
    const oa: SiteFile = { ...base, curtailment: { restoreRampMwPerMin: 20, restoreStaggerSeconds: 2, minOffMinutes: 1, openadr: { vtnUrl: 'http://127.0.0.1:9/openadr3/3.0.1', clientId: 'ven', venName: 'site', pollIntervalSeconds: 10, allowAi: false } } };
    assert.throws(() => startSources(oa, new FakePort(), new LiveState(base), {}, log), /SWITCHYARD_OPENADR_CLIENT_SECRET/);
  });
});
