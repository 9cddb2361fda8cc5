import { BullQueue, obliterateBullQueue } from '../../services/queue/bullmq.ts';
import { queueContract } from '../support/queue-contract.ts';
import { requireServiceEnv } from '../support/service-env.ts';

const redisUrl = requireServiceEnv('SWITCHYARD_TEST_REDIS_URL');
if (redisUrl) {
  queueContract(`BullMQ on ${redisUrl}`, {
    make: (name) => new BullQueue(name, redisUrl),
    cleanup: (name) => obliterateBullQueue(redisUrl, name),
  });
}
