// A site twin in its own process for benchmarks, so the agent under test has a core to
// itself: argv[2] miners of each firmware in argv[3] (comma-separated), each on
// the model FITTING_MODELS gives it when argv[4] is 'fitting' (else S21); prints the devices as one JSON line on stdout
// and runs until stdin closes.
import type { Firmware } from '../../services/domain/site-schema.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin } from '../../simulations/site-twin/twin.ts';
import { dialectSite, FITTING_MODELS } from '../support/dialect-site.ts';

const count = Number(process.argv[2] ?? 1000);
const firmwares = (process.argv[3] ?? 'whatsminer').split(',') as Firmware[];
const log = logger('bench-twin');
log.level = 'error';
const twin = await startTwin(dialectSite(count, firmwares, process.argv[4] === 'fitting' ? FITTING_MODELS : {}), { minerPort: 0, log });
process.stdout.write(`${JSON.stringify(twin.miners)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  twin.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('stopping the bench twin failed', err);
      process.exit(1);
    },
  );
});
