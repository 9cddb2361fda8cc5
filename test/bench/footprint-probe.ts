// Preloaded (`--import`) into a process whose footprint the agent-footprint bench measures:
// answers the bench over IPC with what only the process itself can see. 'mark' → bytes the V8
// heap allocated since the previous mark (heap used now − then + what every GC in between
// freed, from v8.GCProfiler); 'spaces' → each V8 heap space's committed and used bytes and
// process.memoryUsage(), as they are (no GC); 'gc' → a full GC (needs --expose-gc), then process.memoryUsage().
// RSS and CPU are read from outside (/proc/<pid>/status and stat) by the bench itself.
import v8 from 'node:v8';

interface GcStat {
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

if (typeof process.send === 'function') {
  let profiler = new v8.GCProfiler();
  let usedAtMark = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  process.on('message', (msg: unknown) => {
    const ask = msg as { ask?: string; id?: number };
    if (ask.ask === 'mark') {
      const result = profiler.stop() as { statistics: GcStat[] } | undefined;
      const freed = (result?.statistics ?? []).reduce((sum, s) => sum + Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize), 0);
      const usedNow = v8.getHeapStatistics().used_heap_size;
      const allocatedBytes = usedNow - usedAtMark + freed;
      usedAtMark = usedNow;
      profiler = new v8.GCProfiler();
      profiler.start();
      process.send?.({ id: ask.id, allocatedBytes });
    } else if (ask.ask === 'spaces') {
      const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, { committed: sp.physical_space_size, used: sp.space_used_size }]));
      process.send?.({ id: ask.id, spaces, memory: process.memoryUsage() });
    } else if (ask.ask === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc === undefined) {
        process.send?.({ id: ask.id, error: 'run with --expose-gc' });
        return;
      }
      gc();
      gc();
      process.send?.({ id: ask.id, memory: process.memoryUsage() });
    }
  });
  // The IPC channel must not keep the measured process alive once its own work is done.
  process.channel?.unref();
}
