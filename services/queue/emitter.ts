import type { Logger } from '../lib/log.ts';
import type { QueueEventMap } from './types.ts';

type Listener = (arg: never) => void;

/**
 * Typed listeners for one queue. A listener that throws is logged and the others still run:
 * an observer's bug must not break the queue's bookkeeping.
 */
export class QueueEmitter<T> {
  private readonly listeners = new Map<keyof QueueEventMap<T>, Set<Listener>>();

  constructor(
    private readonly queueName: string,
    private readonly log: Logger,
  ) {}

  on<E extends keyof QueueEventMap<T>>(event: E, listener: QueueEventMap<T>[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener);
    return () => {
      set.delete(listener as Listener);
    };
  }

  emit<E extends keyof QueueEventMap<T>>(event: E, arg: Parameters<QueueEventMap<T>[E]>[0]): void {
    const set = this.listeners.get(event);
    if (event === 'error' && (!set || set.size === 0)) {
      this.log.error({ queue: this.queueName, err: arg }, 'queue error');
      return;
    }
    for (const listener of set ?? []) {
      try {
        (listener as (a: typeof arg) => void)(arg);
      } catch (err) {
        this.log.error({ queue: this.queueName, event, err }, 'queue event listener threw');
      }
    }
  }
}
