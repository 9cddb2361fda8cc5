import { startAgent } from '../../../agents/agent.ts';
import { actuatorLayout } from '../../../services/domain/actuators.ts';
import { loadSiteFile } from '../../../services/domain/load-site.ts';
import { logger } from '../../../services/lib/log.ts';
import { startTwin } from '../../../simulations/site-twin/twin.ts';

/**
 * The site side of the chaos test (test/integration/curtailment-chaos.test.ts), as its own
 * process: the site twin and a real agent joined to a control plane that the test kills and
 * restarts. It outlives every control plane. The test asks it, over IPC, for the twin's own
 * state of each miner (mode, power target): the truth the test judges by, not the engine's
 * record.
 *
 * argv: site file, control plane URL, agent id. Token: SWITCHYARD_AGENT_TOKEN.
 */

export interface MinerTruth {
  id: string;
  firmware: string;
  mode: string;
  powerTargetW: number | null;
  nominalW: number;
}
export type SiteQuery = { type: 'state'; ids: string[] } | { type: 'stop' };
export type SiteReply = { type: 'ready'; miners: number; loadW: number } | { type: 'state'; miners: MinerTruth[]; loadW: number };

const [sitePath, controlPlaneUrl, agentId] = process.argv.slice(2);
if (!sitePath || !controlPlaneUrl || !agentId || !process.send) throw new Error('usage (forked): site-process.ts SITE URL AGENT_ID, token in SWITCHYARD_AGENT_TOKEN');
const token = process.env.SWITCHYARD_AGENT_TOKEN;
if (!token) throw new Error('SWITCHYARD_AGENT_TOKEN is not set');
const send = (m: SiteReply) => process.send!(m);

const site = loadSiteFile(sitePath);
const twinLog = logger('site-twin');
twinLog.level = 'error';
const twin = await startTwin(site, { minerPort: 0, meterPort: 0, antminerWebPort: 0, log: twinLog });
const agentLog = logger('agent');
agentLog.level = 'error';
const agent = await startAgent(
  {
    agentId,
    siteId: site.site.id,
    controlPlaneUrl,
    token,
    miners: twin.miners,
    meters: twin.meters,
    minerIntervalMs: 1000,
    meterIntervalMs: 500,
    shipIntervalMs: 250,
    failSafeGraceMs: 60_000,
    ...(twin.antminerWebPort !== undefined ? { minerWebPort: twin.antminerWebPort } : {}),
    // The twin's PDUs and relays (a site with actuators: hard cuts).
    ...(twin.actuators !== undefined ? { actuators: twin.actuators.actuators } : {}),
  },
  agentLog,
);

const channels = actuatorLayout(site, new Set(twin.miners.map((m) => m.id))).byId;

process.on('message', (msg: SiteQuery) => {
  if (msg.type === 'stop') {
    void (async () => {
      await agent.stop();
      await twin.stop();
      process.exit(0);
    })();
    return;
  }
  // An outlet or coil stands for the miners behind it; a miner without power is "off".
  const ids = msg.ids.flatMap((id) => channels.get(id)?.minerIds ?? [id]);
  const miners = ids.map((id): MinerTruth => {
    const m = twin.minerById(id);
    if (!m) return { id, firmware: 'unknown', mode: 'unknown', powerTargetW: null, nominalW: 0 };
    return { id, firmware: m.device.firmware, mode: m.miner.hasPower ? m.miner.mode : 'off', powerTargetW: m.miner.powerTargetW ?? null, nominalW: m.miner.model.powerW };
  });
  send({ type: 'state', miners, loadW: twin.siteLoadW() });
});
send({ type: 'ready', miners: twin.miners.length, loadW: twin.siteLoadW() });
