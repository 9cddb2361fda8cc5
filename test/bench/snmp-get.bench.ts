// SNMP GET and GETBULK throughput of our engine (net-snmp, one session, requests in sequence)
// against snmpd, next to Debian's net-snmp CLI tools as the peer on the same OIDs in the same
// run. The peer is made fair: each snmpget / snmpbulkget process asks for many OIDs at once, so
// process start-up is spread over them, and both sides are compared per OID.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseHostPort, SnmpClient } from '../../agents/drivers/snmp/session.ts';

const run$ = promisify(execFile);
const OIDS_PER_GET = 40; // the system group's scalars, repeated: one PDU well under 1472 bytes
const SYSTEM = ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.4.0', '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.6.0'];
const GET_OIDS = Array.from({ length: OIDS_PER_GET }, (_, i) => SYSTEM[i % SYSTEM.length] as string);
const BULK_ROOT = '1.3.6.1.2.1.25.4.2.1.2'; // HOST-RESOURCES hrSWRunName: one row per process
const BULK_REPS = 50;
const WALK_ROOT = '1.3.6.1.2.1'; // all of MIB-II snmpd serves
const SECONDS = 3;

interface Rate {
  oidsPerS: number;
  requestsPerS: number;
}

async function measure(work: () => Promise<number>): Promise<Rate> {
  const end = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  let oids = 0;
  let requests = 0;
  while (Date.now() < end) {
    oids += await work();
    requests++;
  }
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  return { oidsPerS: oids / s, requestsPerS: requests / s };
}

function line(what: string, ours: Rate, peer: Rate, peerName: string): void {
  console.log(
    `${what}: ours ${ours.oidsPerS.toFixed(0)} OIDs/s (${ours.requestsPerS.toFixed(0)} rounds/s) | ${peerName} ${peer.oidsPerS.toFixed(0)} OIDs/s (${peer.requestsPerS.toFixed(1)} processes/s) | ratio ours/peer ${(ours.oidsPerS / peer.oidsPerS).toFixed(2)}×`,
  );
}

export async function run(): Promise<void> {
  const address = process.env.SWITCHYARD_TEST_SNMPD;
  if (!address) {
    console.log('skipped: SWITCHYARD_TEST_SNMPD is not set (bash infra/dev/services.sh && . ./.services.env)');
    return;
  }
  const env = { ...process.env, MIBS: '' };
  const client = new SnmpClient({ ...parseHostPort(address), community: 'public', timeoutMs: 2000, retries: 0, maxRepetitions: BULK_REPS });
  try {
    // Warm-up: snmpd's first answers and the JIT.
    for (let i = 0; i < 50; i++) await client.get(GET_OIDS);

    const oursGet = await measure(async () => (await client.get(GET_OIDS)).length);
    const peerGet = await measure(async () => {
      const { stdout } = await run$('snmpget', ['-v2c', '-c', 'public', '-On', '-t', '2', '-r', '0', address, ...GET_OIDS], { env });
      return stdout.trim().split('\n').length;
    });
    line(`GET ${OIDS_PER_GET} OIDs per request`, oursGet, peerGet, 'snmpget');

    const oursSingle = await measure(async () => (await client.get(['1.3.6.1.2.1.1.3.0'])).length);
    const peerSingle = await measure(async () => {
      await run$('snmpget', ['-v2c', '-c', 'public', '-On', '-t', '2', '-r', '0', address, '1.3.6.1.2.1.1.3.0'], { env });
      return 1;
    });
    line('GET 1 OID per request', oursSingle, peerSingle, 'snmpget');

    const oursBulk = await measure(async () => (await client.getBulk([BULK_ROOT], 0, BULK_REPS)).length);
    const peerBulk = await measure(async () => {
      const { stdout } = await run$('snmpbulkget', ['-v2c', '-c', 'public', '-On', '-t', '2', '-r', '0', `-Cr${BULK_REPS}`, address, BULK_ROOT], { env });
      return stdout.trim().split('\n').length;
    });
    line(`GETBULK max-repetitions ${BULK_REPS}`, oursBulk, peerBulk, 'snmpbulkget');

    // The fairest comparison: one peer process issuing many GETBULKs in a row (a walk of all
    // of MIB-II), against our walk of the same subtree with the same max-repetitions.
    const oursWalk = await measure(async () => (await client.walk(WALK_ROOT, 30_000)).length);
    const peerWalk = await measure(async () => {
      const { stdout } = await run$('snmpbulkwalk', ['-v2c', '-c', 'public', '-On', '-t', '2', '-r', '0', `-Cr${BULK_REPS}`, address, WALK_ROOT], { env, maxBuffer: 64 << 20 });
      return stdout.trim().split('\n').length;
    });
    line(`walk of ${WALK_ROOT} (GETBULK ×${BULK_REPS}, ${Math.round(oursWalk.oidsPerS / oursWalk.requestsPerS)} varbinds per walk)`, oursWalk, peerWalk, 'snmpbulkwalk');
  } finally {
    client.close();
  }
}
