import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { AgentHub } from '../../services/curtailment/agent-hub.ts';
import type { AckBatch, CommandBatch, LocalShedReport } from '../../services/agent-contract/protocol.ts';
import { logger } from '../../services/lib/log.ts';
import { until } from '../support/until.ts';

/**
 * Issue 10 finding 4: acks are taken only from the agent a batch went to, and only for the
 * devices that batch named. Real sockets: a ws server whose connections the hub attaches.
 */

let server: WebSocketServer;
let hub: AgentHub;
const clients: Record<string, WebSocket> = {};
const received: Array<{ agentId: string; acks: AckBatch }> = [];
const localShed: Array<{ agentId: string; report: LocalShedReport }> = [];

before(async () => {
  // agent-a reads B1; agent-b reads B2.
  hub = new AgentHub(logger('hub-test'), { ownerOf: (id) => (id.startsWith('B1-') ? 'agent-a' : id.startsWith('B2-') ? 'agent-b' : undefined) });
  hub.on('acks', (agentId, acks) => received.push({ agentId, acks }));
  hub.on('local-shed', (agentId, report) => localShed.push({ agentId, report }));
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((ok) => server.once('listening', ok));
  server.on('connection', (ws, req) => hub.attach(new URL(req.url ?? '/', 'http://x').searchParams.get('agent')!, ws));
  const port = (server.address() as AddressInfo).port;
  for (const id of ['agent-a', 'agent-b']) {
    clients[id] = new WebSocket(`ws://127.0.0.1:${port}/?agent=${id}`);
    await new Promise((ok) => clients[id]!.once('open', ok));
  }
  await until('both agents attached', () => hub.isConnected('agent-a') && hub.isConnected('agent-b'), 5000);
});

after(async () => {
  for (const ws of Object.values(clients)) ws.close();
  hub.closeAll();
  await new Promise((ok) => server.close(ok));
});

const batch: CommandBatch = {
  type: 'commands',
  batchId: 'ev-1.shed.1',
  eventId: 'ev-1',
  phase: 'shed',
  deviceTimeoutMs: 1000,
  attempts: 1,
  commands: [
    { deviceId: 'B1-m00001', blockId: 'B1', action: 'sleep', expectedDeltaW: -3000 },
    { deviceId: 'B1-m00002', blockId: 'B1', action: 'sleep', expectedDeltaW: -3000 },
  ],
};
const ack = (deviceId: string) => ({ deviceId, ok: true, atMs: Date.now(), tries: 1 });
const acks = (devices: string[], batchId = batch.batchId): AckBatch => ({ type: 'acks', batchId, eventId: 'ev-1', acks: devices.map(ack) });

test('acks from an agent the batch did not go to are refused and counted', async () => {
  assert.equal(hub.sendBatch('agent-a', batch), true);
  clients['agent-b']!.send(JSON.stringify(acks(['B1-m00001', 'B1-m00002'])));
  clients['agent-b']!.send(JSON.stringify(acks(['B1-m00001'], 'never-sent')));
  await until('the unknown batch refused', () => hub.rejectedAcks()['unknown-batch'] === 1, 5000);
  assert.equal(hub.rejectedAcks()['other-agent'], 2);
  assert.equal(received.length, 0);

  // The agent it went to: only devices of the batch count, each once.
  clients['agent-a']!.send(JSON.stringify(acks(['B1-m00001', 'B9-m00001'])));
  await until('agent-a acks', () => received.length === 1, 5000);
  assert.deepEqual(received[0]!.acks.acks.map((a) => a.deviceId), ['B1-m00001']);
  assert.equal(received[0]!.agentId, 'agent-a');
  assert.equal(hub.rejectedAcks()['device-not-in-batch'], 1);
  clients['agent-a']!.send(JSON.stringify(acks(['B1-m00002'])));
  await until('agent-a second acks', () => received.length === 2, 5000);
});

test("a local-shed report keeps only the reporting agent's own devices", async () => {
  const report: LocalShedReport = { type: 'local-shed', reason: 'control-plane-lost', eventId: 'ev-1', atMs: Date.now(), detail: 'lost link', acks: ['B1-m00001', 'B2-m00001', 'B9-x'].map(ack) };
  clients['agent-b']!.send(JSON.stringify(report));
  await until('the local-shed report', () => localShed.length === 1, 5000);
  assert.deepEqual(localShed[0]!.report.acks.map((a) => a.deviceId), ['B2-m00001', 'B9-x']);
  assert.equal(hub.rejectedAcks()['not-owner'], 1);
});
