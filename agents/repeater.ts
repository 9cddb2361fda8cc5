import type { Logger } from '../services/lib/log.ts';

/**
 * Runs `work` every `intervalMs`, measured start to start, never two at once. A run that
 * takes longer than the interval is an overrun: the next starts right away, and the streak
 * is logged once when it begins and once when it ends.
 */
export class Repeater {
  overruns = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private inOverrun = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.fire();
    }, delayMs);
  }

  private async fire(): Promise<void> {
    const started = Date.now();
    try {
      await this.work();
    } catch (err) {
      this.log.error({ err }, `${this.name} cycle failed`);
    }
    const tookMs = Date.now() - started;
    if (tookMs > this.intervalMs) {
      this.overruns++;
      if (!this.inOverrun) this.log.warn({ tookMs, intervalMs: this.intervalMs }, `${this.name} took longer than its interval`);
      this.inOverrun = true;
    } else if (this.inOverrun) {
      this.inOverrun = false;
      this.log.info({ tookMs, intervalMs: this.intervalMs }, `${this.name} fits its interval again`);
    }
    this.running = undefined;
    this.schedule(Math.max(0, this.intervalMs - tookMs));
  }
}
