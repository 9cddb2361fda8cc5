/**
 * One copy of each short text that many readings repeat (firmware versions, hardware names,
 * modes): every reply parses into fresh strings, and an agent that keeps 30,000 readings or
 * inventory labels would otherwise keep 30,000 copies of "cgminer 4.11.1". Bounded: past
 * `max` distinct texts it starts over, so odd replies cannot grow it without end.
 */
export class Interned {
  private readonly seen = new Map<string, string>();
  private readonly sets = new Map<string, Readonly<Record<string, string>>>();

  constructor(private readonly max = 4096) {}

  of(text: string): string {
    const kept = this.seen.get(text);
    if (kept !== undefined) return kept;
    if (this.seen.size >= this.max) this.seen.clear();
    // A fresh flat copy: `text` may be a slice of a whole reply, which it would keep alive.
    const own = JSON.parse(JSON.stringify(text)) as string;
    this.seen.set(own, own);
    return own;
  }

  /** One shared, frozen copy of each distinct set of labels (inventory kept per miner). */
  labels(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    const key = JSON.stringify(labels);
    const kept = this.sets.get(key);
    if (kept !== undefined) return kept;
    if (this.sets.size >= this.max) this.sets.clear();
    const own = Object.freeze(Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, this.of(v)])));
    this.sets.set(key, own);
    return own;
  }
}
