import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '../../../services/api/app.ts';
import { ensureAdminToken, ensureAgentToken } from '../../../services/api/auth/bootstrap.ts';
import { TokenStore } from '../../../services/api/auth/tokens.ts';
import { listen } from '../../../services/api/server.ts';
import { AgentHub } from '../../../services/curtailment/agent-hub.ts';
import { CurtailmentEngine, type CurtailJob } from '../../../services/curtailment/engine.ts';
import { curtailmentSettings } from '../../../services/curtailment/sources/start-sources.ts';
import { loadSiteFile } from '../../../services/domain/load-site.ts';
import { logger } from '../../../services/lib/log.ts';
import { createQueue } from '../../../services/queue/index.ts';
import { openStore } from '../../../services/store/sqlite.ts';
import { createHistory } from '../../../services/telemetry/index.ts';
import { LiveState } from '../../../services/telemetry/live-state.ts';

/**
 * Stand-in control plane for the chaos test until `switchyard serve` lands: store, API,
 * agent hub and curtailment engine on a fixed port. argv: site file, data dir, port, agent id.
 * Writes agent.token in the data dir and prints READY <url>.
 */
const [sitePath, dataDir, portArg, agentId] = process.argv.slice(2);
if (!sitePath || !dataDir || !portArg || !agentId) throw new Error('usage: control-plane-process.ts SITE DATA_DIR PORT AGENT_ID');
const site = loadSiteFile(sitePath);
mkdirSync(dataDir, { recursive: true });
const log = logger('control-plane');
const store = openStore({ dataDir });
const history = createHistory({ dataDir, env: {} });
const tokens = new TokenStore(store.db);
ensureAdminToken(tokens, dataDir, log, () => undefined);
const agentToken = ensureAgentToken(tokens, dataDir, agentId, log);
writeFileSync(join(dataDir, 'chaos-agent.token'), agentToken, { mode: 0o600 });
const live = new LiveState(site, { staleAfterMs: 4000, staleAfterMsByKind: { meter: 10_000 } });
const hub = new AgentHub(logger('agent-hub'));
const cs = curtailmentSettings(site);
const engine = new CurtailmentEngine({
  site,
  db: store.db,
  live,
  hub,
  queue: createQueue<CurtailJob>('curtailment', { env: {} }),
  log: logger('curtailment'),
  restore: { rampMwPerMin: cs.restoreRampMwPerMin, staggerMs: cs.restoreStaggerSeconds * 1000, minOffMs: cs.minOffMinutes * 60_000 },
});
const app = await buildApp({ site, db: store.db, history, kinds: { store: 'sqlite', queue: 'memory' }, version: 'chaos', live, tokens, log: logger('api'), curtailment: engine, agentHub: hub });
const listening = await listen(app, { port: Number(portArg), host: '127.0.0.1' });
await engine.start();
process.stdout.write(`READY ${listening.url}\n`);
