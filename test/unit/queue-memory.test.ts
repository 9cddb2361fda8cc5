import { MemoryQueue } from '../../services/queue/memory.ts';
import { queueContract } from '../support/queue-contract.ts';

queueContract('in-process', {
  make: (name) => new MemoryQueue(name),
  cleanup: async () => undefined,
});
