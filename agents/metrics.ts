import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { wrap } from '../services/lib/errors.ts';
import type { Logger } from '../services/lib/log.ts';
import type { PollerStats } from './poller.ts';
import type { ShipperStats } from './shipper.ts';
import type { CommandCpu } from './commands/executor.ts';

/** The part of the agent's stats its metrics read. */
export interface AgentStats {
  poller: PollerStats;
  shipper: ShipperStats;
  /** Client CPU of device commands per dialect (absent without a command channel). */
  commandCpu?: CommandCpu;
}

/**
 * The agent's Prometheus series, read from its stats at scrape time (nothing on the polling
 * path writes a metric): spool depth, unsent readings, ship failures, how long since the last
 * batch was acknowledged (the agent's own view of its lag), polling cycles and device states.
 */
export function agentRegistry(agentId: string, stats: () => AgentStats, now: () => number = Date.now): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ agent: agentId });
  const r = [registry];
  const gauge = (name: string, help: string, read: (s: AgentStats) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: r,
      collect() {
        const v = read(stats());
        if (v === undefined) this.reset();
        else this.set(v);
      },
    });
  const counter = (name: string, help: string, read: (s: AgentStats) => number) =>
    new Counter({
      name,
      help,
      registers: r,
      collect() {
        // Mirrors a running total the agent keeps (it only grows while the agent runs).
        this.reset();
        this.inc(read(stats()));
      },
    });
  gauge('switchyard_agent_spool_batches', 'Batches waiting on disk (store-and-forward)', (s) => s.shipper.spool?.batches ?? 0);
  gauge('switchyard_agent_spool_bytes', 'Bytes of the spool on disk', (s) => s.shipper.spool?.bytes ?? 0);
  counter('switchyard_agent_spool_evicted_readings_total', 'Readings the spool size bound evicted', (s) => s.shipper.spool?.evictedReadings ?? 0);
  gauge('switchyard_agent_queued_readings', 'Readings in memory not yet acknowledged by the control plane', (s) => s.shipper.queuedReadings);
  gauge('switchyard_agent_queued_batches', 'Batches in memory not yet acknowledged', (s) => s.shipper.queuedBatches);
  counter('switchyard_agent_batches_sent_total', 'Batches the control plane acknowledged', (s) => s.shipper.batchesSent);
  counter('switchyard_agent_readings_sent_total', 'Readings the control plane acknowledged', (s) => s.shipper.readingsSent);
  counter('switchyard_agent_readings_dropped_total', 'Readings dropped because the in-memory queue was full', (s) => s.shipper.droppedReadings);
  counter('switchyard_agent_ship_failures_total', 'Failed attempts to ship a batch', (s) => s.shipper.failedAttempts);
  counter('switchyard_agent_readings_polled_total', 'Readings taken from devices', (s) => s.shipper.readingsAdded);
  gauge('switchyard_agent_ack_age_seconds', 'Seconds since the control plane last acknowledged a batch (absent before the first)', (s) =>
    s.shipper.lastAckAtMs === undefined ? undefined : Math.max(0, now() - s.shipper.lastAckAtMs) / 1000,
  );
  // Per tier: the miner loop, then each driver tier ('meter polling', 'snmp polling', …).
  const tiers = (s: AgentStats): Array<[string, { cycles: number; overruns: number }]> => [
    ['miner polling', { cycles: s.poller.minerCycles, overruns: s.poller.minerOverruns }],
    ...Object.entries(s.poller.tiers),
  ];
  new Counter({
    name: 'switchyard_agent_poll_cycles_total',
    help: 'Polling cycles by tier',
    labelNames: ['tier'],
    registers: r,
    collect() {
      this.reset();
      for (const [tier, t] of tiers(stats())) this.inc({ tier }, t.cycles);
    },
  });
  new Counter({
    name: 'switchyard_agent_poll_overruns_total',
    help: 'Polling cycles that ran past their interval, by tier',
    labelNames: ['tier'],
    registers: r,
    collect() {
      this.reset();
      for (const [tier, t] of tiers(stats())) this.inc({ tier }, t.overruns);
    },
  });
  new Counter({
    name: 'switchyard_agent_command_tries_total',
    help: 'Device command tries (sleep, wake, power target) by miner dialect',
    labelNames: ['dialect'],
    registers: r,
    collect() {
      this.reset();
      for (const [dialect, t] of Object.entries(stats().commandCpu ?? {})) this.inc({ dialect }, t.tries);
    },
  });
  new Counter({
    name: 'switchyard_agent_command_cpu_seconds_total',
    help: "Client CPU of device command tries by miner dialect (our code's synchronous steps: request, connect and write, reply parse, auth crypto)",
    labelNames: ['dialect'],
    registers: r,
    collect() {
      this.reset();
      for (const [dialect, t] of Object.entries(stats().commandCpu ?? {})) this.inc({ dialect }, t.cpuUs / 1e6);
    },
  });
  gauge('switchyard_agent_stale_devices', 'Devices with no online reading for longer than staleAfterMs', (s) => s.poller.stale);
  new Gauge({
    name: 'switchyard_agent_devices',
    help: 'Devices by the status of their last reading',
    labelNames: ['status'],
    registers: r,
    collect() {
      for (const [status, n] of Object.entries(stats().poller.devices)) this.set({ status }, n);
    },
  });
  return registry;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics from the registry on host:port (port 0: a free one). */
export async function serveMetrics(registry: Registry, host: string, port: number, log: Logger): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the agent serves GET /metrics only\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        log.error({ err }, 'collecting agent metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw wrap(`agent metrics: listening on ${host}:${port}`, err, 'E_LISTEN');
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`;
  return {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
