import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { curtailPlatform, until, type CurtailPlatform } from '../support/curtail-platform.ts';
import { tcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/**
 * The fail-safe: an agent cut off from the control plane during an event sheds on its own per
 * the plan it holds, and reports what it did when the link is back. The cut is a real one: the
 * agent reaches the control plane through a TCP relay the test drops.
 */

describe('curtailment fail-safe', { timeout: 300_000 }, () => {
  let c: CurtailPlatform;
  let proxy: TcpProxy;
  before(async () => {
    proxy = await tcpProxy();
    c = await curtailPlatform({
      agentControlPlaneUrl: (apiUrl) => {
        proxy.targetPort = Number(new URL(apiUrl).port);
        return `http://127.0.0.1:${proxy.port}`;
      },
    });
  });
  after(async () => {
    await c?.close();
    await proxy?.close();
  });

  it('an agent cut off before an announced event starts sheds locally at its start and reports later', async () => {
    const baseline = c.p.twin!.siteLoadW();
    const startMs = Date.now() + 5_000;
    const res = await c.api('POST', '/api/curtailment/dispatch', { program: 'ERCOT ERS-10 (test)', shedMw: 1.5, startMs, endMs: startMs + 60_000, eventId: 'ers-test-1' });
    assert.equal(res.statusCode, 202, res.body);
    const { eventId } = res.json() as { eventId: string };
    // The same dispatch again is the same event.
    const again = await c.api('POST', '/api/curtailment/dispatch', { program: 'ERCOT ERS-10 (test)', shedMw: 1.5, startMs, endMs: startMs + 60_000, eventId: 'ers-test-1' });
    assert.equal((again.json() as { eventId: string }).eventId, eventId);
    await new Promise((r) => setTimeout(r, 1_000)); // the pre-armed plan reaches the agent
    proxy.cut();
    // Nothing reaches the control plane now; the twin's own meter shows what the agent did.
    await until('the twin load to fall by 1.5 MW with the agent cut off', () => (baseline - c.p.twin!.siteLoadW() >= 1.45e6 ? true : undefined), 30_000, 100);
    assert.ok(Date.now() >= startMs, 'not before the event started');
    proxy.mend();
    await c.until(eventId, ['meter-confirmed'], 60_000);
    // The report comes over the command channel, which may reconnect after the readings that
    // confirmed the event (they travel over HTTP): wait for it rather than assume the order.
    const confirmed = await until(
      "the agent's local-shed report in the record",
      () => {
        const r = c.p.curtailment.get(eventId)!;
        return r.timeline.some((e) => e.kind === 'ack' && /shed locally \(control-plane-lost/.test(e.detail ?? '')) ? r : undefined;
      },
      30_000,
    );
    assert.ok(confirmed.devices.some((d) => d.phase === 'shed' && d.outcome === 'acked'));
    const aborted = await c.api('POST', `/api/curtailment/events/${eventId}/abort`);
    assert.equal(aborted.statusCode, 200, aborted.body);
    assert.equal((aborted.json() as { status: string }).status, 'aborted');
    await until('the aborted event to put its miners back', () => (c.p.curtailment.status(eventId) === 'aborted' && c.p.curtailment.list(5).length > 0 && c.p.twin!.siteLoadW() > baseline - 0.3e6 ? true : undefined), 90_000, 200);
  });
});
