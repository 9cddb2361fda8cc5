// The curtailment engine's pure planners at site scale (formerly `< 1000 ms` asserts in the
// unit tests): the shed plan and its replan over 50,000 miners and 200 GPU hosts, the restore
// plan over 50,000 slept miners, arbitration of 50,000 devices, and the strike rule over a
// year of five-minute prices. Each against a peer in the same run: the one step nobody can
// skip (sorting the devices by efficiency, a Map of owners, one pass over the prices).
import { Arbiter } from '../../services/curtailment/arbitration.ts';
import { planRestore, type ShedDevice } from '../../services/curtailment/restore-plan.ts';
import { planShed, replan } from '../../services/curtailment/shed-plan.ts';
import { runStrikeRule } from '../../services/curtailment/strike-rule.ts';
import { bigShedSite, rng } from '../support/shed-site.ts';

const ROUNDS = 5;

function best(fn: () => void): number {
  let min = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

function line(name: string, oursMs: number, peerName: string, peerMs: number): void {
  console.log(`${name}: ${oursMs.toFixed(1)} ms; peer (${peerName}): ${peerMs.toFixed(1)} ms; ratio (ours / peer): ${(oursMs / peerMs).toFixed(2)}`);
}

export async function run(): Promise<void> {
  const site = bigShedSite(42);
  const byEfficiency = () => site.miners.filter((m) => m.online).sort((a, b) => b.efficiencyJPerTh - a.efficiencyJPerTh || (a.id < b.id ? -1 : 1));
  const sortMs = best(() => void byEfficiency());

  const shedMs = best(() => void planShed({ shedMw: 60, allowAi: true }, site));
  line('planShed, 50,000 miners + 200 GPU hosts, 60 MW', shedMs, 'sort the online miners by J/TH', sortMs);

  const plan = planShed({ shedMw: 60, allowAi: true }, site);
  const rand = rng(7);
  const failed = new Set(plan.commands.filter(() => rand() < 0.05).map((c) => c.deviceId));
  const replanMs = best(() => void replan(plan, failed, site));
  line(`replan after ${failed.size} failed commands`, replanMs, 'sort the online miners by J/TH', sortMs);

  const slept: ShedDevice[] = Array.from({ length: 50_000 }, (_, i) => ({
    deviceId: `m${String(i).padStart(5, '0')}`,
    blockId: 'B1',
    shedAction: 'sleep',
    preEventW: 3000 + (i % 600),
    currentW: 25,
    shedAtMs: (i % 7) * 10_000,
    efficiencyJPerTh: 12 + (i % 18),
  }));
  const restoreMs = best(() => void planRestore(slept, { nowMs: 30_000, rampMwPerMin: 10, minOffMs: 300_000, staggerMs: 5_000 }));
  const restoreSortMs = best(() => void [...slept].sort((a, b) => (a.efficiencyJPerTh ?? 0) - (b.efficiencyJPerTh ?? 0) || (a.deviceId < b.deviceId ? -1 : 1)));
  line('planRestore, 50,000 slept miners', restoreMs, 'sort them by J/TH', restoreSortMs);

  const ids = Array.from({ length: 50_000 }, (_, i) => `m${i}`);
  const arbiterMs = best(() => {
    const a = new Arbiter();
    a.claim('strike', 50, ids);
    a.claim('ercot', 90, ids.slice(0, 25_000));
    a.release('ercot');
  });
  const mapMs = best(() => {
    const owner = new Map<string, string>();
    for (const id of ids) owner.set(id, 'strike');
    for (const id of ids.slice(0, 25_000)) owner.set(id, 'ercot');
    for (const id of ids.slice(0, 25_000)) owner.set(id, 'strike');
  });
  line('Arbiter: claim 50,000, take 25,000, release', arbiterMs, 'the same owner changes in a Map', mapMs);

  const prices = Array.from({ length: 105_120 }, (_, i) => 60 + 80 * Math.sin(i / 50));
  const strikeMs = best(() => void runStrikeRule(prices, { strikeUsdPerMwh: 100, curtailAfter: 2, resumeAfter: 2 }));
  const passMs = best(() => void prices.map((p) => p > 100));
  line('runStrikeRule, a year of 5-minute prices', strikeMs, 'one pass marking prices above the strike', passMs);
}
