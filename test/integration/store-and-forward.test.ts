import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { startAgent, type Agent, type AgentConfig } from '../../agents/agent.ts';
import { buildApp } from '../../services/api/app.ts';
import { TokenStore } from '../../services/api/auth/tokens.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { logger } from '../../services/lib/log.ts';
import { openStore, RECORDS_FILE } from '../../services/store/sqlite.ts';
import { createHistory } from '../../services/telemetry/index.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { startTwin } from '../../simulations/site-twin/twin.ts';
import { until } from '../support/until.ts';

/**
 * Store-and-forward, counted: the real control plane (buildApp over a SQLite store in a temp
 * data dir, listening on a real port) takes batches from a real agent polling the site twin;
 * the control plane goes away for a real 60 s, the agent is restarted in the middle of it,
 * the control plane comes back on the same data dir, and every reading the agent produced is
 * then in the control plane exactly once.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const site = loadSiteFile(resolve(repoRoot, 'test/support/sites/small.yaml'));
const AGENT_ID = 'agent-saf';
const OUTAGE_MS = 60_000;

interface ControlPlane {
  app: FastifyInstance;
  tokens: TokenStore;
  live: LiveState;
  port: number;
  /** Ingest ledger rows for the agent: one per batch applied, ever. */
  ledgerRows(): number;
  close(): Promise<void>;
}

async function startControlPlane(dataDir: string, port: number): Promise<ControlPlane> {
  const store = openStore({ dataDir });
  const history = createHistory({ dataDir, env: {} });
  const tokens = new TokenStore(store.db);
  const live = new LiveState(site);
  const app = await buildApp({ site, db: store.db, history, kinds: { store: 'sqlite', queue: 'memory' }, version: 'test', tokens, live });
  await app.listen({ host: '127.0.0.1', port });
  return {
    app,
    tokens,
    live,
    port: (app.server.address() as AddressInfo).port,
    ledgerRows: () => {
      // Its own connection, so it can be read after the control plane closed its store.
      const db = new Database(join(dataDir, RECORDS_FILE), { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM agent_batches_seen WHERE agentId = ?').get(AGENT_ID) as { n: number }).n;
      } finally {
        db.close();
      }
    },
    close: async () => {
      await app.close();
      await history.close();
      store.close();
    },
  };
}

const waitUntil = <T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> => until(what, probe, timeoutMs, 100);

const acceptedReadings = (cp: ControlPlane) => cp.live.agents().find((a) => a.agentId === AGENT_ID)?.readings ?? 0;

test('a 60 s control-plane outage, with an agent restart inside it, loses zero readings and duplicates none', { timeout: 150_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-saf-cp-'));
  const spoolDir = mkdtempSync(join(tmpdir(), 'switchyard-saf-spool-'));
  const twin = await startTwin(site, { minerPort: 0, meterPort: 0, tickMs: 200 });
  let cp = await startControlPlane(dataDir, 0);
  const port = cp.port;
  const token = (await cp.tokens.create({ name: AGENT_ID, role: 'agent' })).secret;
  const log = logger('agent');
  log.level = 'error';
  const config: AgentConfig = {
    agentId: AGENT_ID,
    siteId: site.site.id,
    controlPlaneUrl: `http://127.0.0.1:${port}`,
    token,
    miners: twin.miners,
    meters: twin.meters,
    minerIntervalMs: 1_000,
    meterIntervalMs: 500,
    shipIntervalMs: 250,
    minerTimeoutMs: 1_000,
    meterTimeoutMs: 500,
    spoolDir,
  };
  const agents: Agent[] = [];
  try {
    agents.push(await startAgent(config, log));
    await waitUntil('readings accepted before the outage', 15_000, () => acceptedReadings(cp) > 0);

    // Outage: the control plane is gone (port closed) for 60 s.
    const outageStarted = Date.now();
    await cp.close();
    const acceptedBefore = acceptedReadings(cp);
    const batchesBefore = cp.ledgerRows();
    assert.equal(batchesBefore, appliedBatches(cp));
    await waitUntil('the agent spooling to disk', 15_000, () => (agents[0]!.stats().shipper.spool?.batches ?? 0) > 0);
    assert.ok(readdirSync(spoolDir).some((f) => f.startsWith('seg-')), 'segment files on disk');

    // Agent restart inside the outage: what it holds goes to the spool and is reloaded.
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 3));
    const first = agents[0]!;
    await first.stop();
    const producedByFirst = first.stats().shipper.readingsAdded;
    assert.equal(first.stats().shipper.queuedBatches, 0, 'nothing left only in memory');
    agents.push(await startAgent(config, log));
    const second = agents[1]!;
    assert.ok((second.stats().shipper.spool?.batches ?? 0) > 0, 'the spool was reloaded at start');

    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - outageStarted))));
    assert.ok(Date.now() - outageStarted >= OUTAGE_MS);
    const spooledAtReturn = second.stats().shipper.spool;

    // The control plane comes back on the same data dir and port.
    cp = await startControlPlane(dataDir, port);
    const outageMs = Date.now() - outageStarted;
    await waitUntil('the spool replayed', 60_000, () => second.stats().shipper.spool?.batches === 0 && acceptedReadings(cp) > 0);
    await second.stop();
    const s2 = second.stats().shipper;
    const produced = producedByFirst + s2.readingsAdded;
    const accepted = acceptedBefore + acceptedReadings(cp);

    assert.ok((spooledAtReturn?.readings ?? 0) > 0, 'readings waited in the spool');
    assert.equal(s2.spool?.evictedReadings, 0, 'none evicted');
    assert.equal(s2.droppedReadings + first.stats().shipper.droppedReadings, 0, 'none dropped');
    assert.equal(s2.spool?.batches, 0);
    assert.equal(accepted, produced, `produced ${produced} readings, the control plane accepted ${accepted}`);
    assert.equal(cp.ledgerRows(), batchesBefore + appliedBatches(cp), 'one ledger row per applied batch, across both control-plane runs');
    console.log(
      `store-and-forward: outage ${Math.round(outageMs / 1000)} s; produced ${produced} readings; accepted ${accepted} ` +
        `(${acceptedBefore} before, ${acceptedReadings(cp)} after); spooled at return ${spooledAtReturn?.batches} batches / ${spooledAtReturn?.readings} readings; ` +
        `ledger ${cp.ledgerRows()} batches (${batchesBefore} before the outage); duplicates acknowledged ${countDuplicates(cp)}`,
    );
  } finally {
    for (const a of agents) await a.stop();
    await twin.stop();
    if (cp.app.server.listening) await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(spoolDir, { recursive: true, force: true });
  }
});

function appliedBatches(cp: ControlPlane): number {
  return cp.live.agents().find((a) => a.agentId === AGENT_ID)?.batches ?? 0;
}

function countDuplicates(cp: ControlPlane): number {
  return cp.live.agents().find((a) => a.agentId === AGENT_ID)?.duplicates ?? 0;
}
