import { minerTelemetry, type MinerTelemetry } from '../normalise.ts';
import type { CgminerReply } from '../parse.ts';
import { entries, splitMulti } from '../reply.ts';
import type { Dialect, MinerSession } from '../miner.ts';
import { digestJson, primeDigest } from '../web.ts';

/**
 * Bitmain stock firmware (bmminer/cgminer 4.x). Telemetry over 4028: `summary` ("GHS 5s" as a
 * string, "GHS av") and `stats` (chain temps temp1…/temp2_…, fans fan1…); the `}{` repair
 * in parse.ts is for this firmware's DR5 `stats`. Sleep and wake only through the web UI's
 * miner config (CURTAILMENT_COMMANDS.md: pyasic web/antminer.py): read get_miner_conf.cgi,
 * write it back to set_miner_conf.cgi with "miner-mode" 1 (sleep) or 0 (normal), behind
 * HTTP Digest auth (root/root by default). There is no watt limit, only modes.
 */
const MODE = { normal: 0, sleep: 1 } as const;

const CONF_PATH = '/cgi-bin/get_miner_conf.cgi';

function webBase(s: MinerSession) {
  const { host, webPort = 80, username = 'root', password = 'root' } = s.address;
  return { host, port: webPort, username, password, ...(s.io.signal === undefined ? {} : { signal: s.io.signal }), ...(s.io.cpu === undefined ? {} : { cpu: s.io.cpu }) };
}

async function setMinerMode(s: MinerSession, mode: number): Promise<void> {
  const base = webBase(s);
  const conf = await digestJson({ ...base, method: 'GET', path: CONF_PATH, timeoutMs: s.remainingMs() });
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) throw new Error('get_miner_conf.cgi did not return a JSON object');
  // Older firmware reports the mode as "bitmain-work-mode" (a string); the write takes "miner-mode".
  const { 'bitmain-work-mode': _old, ...rest } = conf as Record<string, unknown>;
  const body = JSON.stringify({ ...rest, 'miner-mode': mode });
  const reply = (await digestJson({ ...base, method: 'POST', path: '/cgi-bin/set_miner_conf.cgi', body, timeoutMs: s.remainingMs() })) as Record<string, unknown>;
  if (reply.stats !== 'success') throw new Error(`set_miner_conf.cgi refused miner-mode ${mode}: ${JSON.stringify(reply).slice(0, 200)}`);
}

const RATE_UNIT_HS: Record<string, number> = { H: 1, KH: 1e3, MH: 1e6, GH: 1e9, TH: 1e12, PH: 1e15 };

/**
 * Newer stock firmware names the unit of its "GHS …" fields in `stats` "rate_unit" ("GH",
 * "TH"; "MH" on the scrypt L7, whose fields are still called GHS): the key's unit is then
 * wrong, and the rate_unit wins. Absent (all recordings here), the key's GH stands.
 */
export function rateUnitScale(reply: CgminerReply): number {
  const stats = splitMulti(reply)?.get('stats') ?? reply;
  for (const e of entries(stats, 'STATS')) {
    const unit = typeof e.rate_unit === 'string' ? e.rate_unit.toUpperCase().replace(/\/S$|S$/, '') : undefined;
    const hs = unit === undefined ? undefined : RATE_UNIT_HS[unit];
    if (hs !== undefined) return hs / 1e9;
  }
  return 1;
}

function telemetry(reply: CgminerReply): MinerTelemetry {
  const t = minerTelemetry(reply);
  const scale = rateUnitScale(reply);
  if (scale !== 1 && t.metrics.hashrate_hs !== undefined) t.metrics.hashrate_hs *= scale;
  return t;
}

export const antminer: Dialect = {
  make: 'antminer',
  telemetryCommand: 'summary+stats',
  telemetry,
  sleep: (s) => setMinerMode(s, MODE.sleep),
  wake: (s) => setMinerMode(s, MODE.normal),
  // The web UI's digest nonce, taken ahead: a command is then two requests (read, write), not four.
  prepare: (s) => primeDigest({ ...webBase(s), path: CONF_PATH, timeoutMs: s.remainingMs() }),
  unsupported: { setPowerTarget: 'stock firmware has work modes (normal, sleep, low power), no watt limit' },
};
