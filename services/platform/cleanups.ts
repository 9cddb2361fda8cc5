import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';

/** Something started that must be stopped; children are told first that their exit is expected. */
export interface Running {
  stop(): Promise<void>;
  /** Supervised children: stop restarting them (see Supervised.expectExit). */
  expectExit?(): void;
}

/** What a start has opened so far, stopped in reverse order; a failing stop is logged, not thrown. */
export class Cleanups {
  private readonly items: Array<{ what: string; run: () => Promise<void> | void }> = [];
  private readonly children: Running[] = [];
  constructor(private readonly log: Logger) {}

  add(what: string, run: () => Promise<void> | void): void {
    this.items.push({ what, run });
  }

  addChild(what: string, child: Running): void {
    this.children.push(child);
    this.add(what, () => child.stop());
  }

  async run(): Promise<void> {
    for (const c of this.children) c.expectExit?.();
    for (const c of this.items.splice(0).reverse()) {
      try {
        await c.run();
      } catch (err) {
        this.log.error({ err }, `stopping ${c.what} failed: ${errorMessage(err)}`);
      }
    }
  }
}
