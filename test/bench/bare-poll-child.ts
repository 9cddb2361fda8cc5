// The agent-footprint bench's peer: a bare TCP poll loop in its own process. It reads a JSON
// file of [host, port, payload] (each miner's telemetry request as its firmware's dialect
// sends it), then polls them all, argv[3] at once, cycle after cycle: connect, write, read to
// the NUL (or the close), discard, close. It prints `cycle N` when each cycle ends and stops
// when stdin closes. No parsing, no readings, nothing kept: the floor an agent is held to.
import net from 'node:net';
import { readFileSync } from 'node:fs';

const targets = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Array<[string, number, string]>;
const concurrency = Number(process.argv[3] ?? 256);
const TIMEOUT_MS = 10_000;

function poll(host: string, port: number, payload: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let got = 0;
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), TIMEOUT_MS);
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(payload));
    socket.on('data', (c: Buffer) => {
      got += c.length;
      if (c.indexOf(0) >= 0) finish(true);
    });
    socket.once('end', () => finish(got > 0));
    socket.once('error', () => finish(false));
  });
}

let stopping = false;
process.stdin.resume();
process.stdin.once('end', () => (stopping = true));

for (let cycle = 1; !stopping; cycle++) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < targets.length) {
      const [host, port, payload] = targets[next++] as [string, number, string];
      if (!(await poll(host, port, payload))) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  process.stdout.write(`cycle ${cycle} ${targets.length - failed}/${targets.length}\n`);
}
process.exit(0);
