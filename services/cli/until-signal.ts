import type { Logger } from '../lib/log.ts';
import { errorMessage } from '../lib/errors.ts';

/**
 * Runs `stop` on the first SIGINT/SIGTERM and resolves when it is done; a second signal exits
 * at once (130). A failed stop is logged and leaves exit code 1.
 */
export function untilSignal(stop: () => Promise<void>, log: Logger): Promise<void> {
  return new Promise<void>((done) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      log.info({ signal }, 'shutting down');
      stop().then(done, (err: unknown) => {
        log.error({ err }, `shutdown failed: ${errorMessage(err)}`);
        process.exitCode = 1;
        done();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
