import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { documentedVariables, envReads } from '../support/env-reads.ts';
import { ControlPlaneMetrics } from '../../services/metrics/control-plane.ts';
import { agentRegistry } from '../../agents/metrics.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';

/**
 * infra/compose: checked structurally here, because `docker compose` is not installed on the
 * machines that run these tests (the Docker CLI is, without its compose plugin). Where
 * `docker compose version` works, `docker compose config` checks the file too.
 */
const DIR = 'infra/compose';
const COMPOSE = join(DIR, 'compose.yaml');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  restart?: string;
}
interface Compose {
  name: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(COMPOSE, 'utf8')) as Compose;
const text = readFileSync(COMPOSE, 'utf8');
const fromDir = (p: string) => resolve(DIR, p);

describe('infra/compose/compose.yaml', () => {
  it('has the parts of a production site: control plane, Redis, InfluxDB 2, PostgreSQL, Prometheus, Grafana', () => {
    assert.deepEqual(Object.keys(compose).filter((k) => !k.startsWith('x-')).sort(), ['name', 'services', 'volumes']);
    for (const s of ['switchyard', 'redis', 'influxdb', 'postgres', 'prometheus', 'grafana']) assert.ok(compose.services[s], `service ${s}`);
    assert.match(compose.services.switchyard!.environment!.DATABASE_URL!, /@postgres:5432\//, 'the control plane\'s records (audit log) in the postgres service');
    assert.match(compose.services.influxdb!.image!, /^influxdb:2\./);
    assert.deepEqual(compose.services.switchyard!.command!.slice(0, 1), ['serve']);
    // The health check needs no token (reads, /metrics included, do with SWITCHYARD_READ_REQUIRES_TOKEN=1).
    assert.match(compose.services.switchyard!.healthcheck!.test.join(' '), /127\.0\.0\.1:8080\/api\/openapi\.json/);
    assert.equal(compose.services.switchyard!.environment!.SWITCHYARD_READ_REQUIRES_TOKEN, '1');
    assert.ok(compose.services.prometheus!.volumes!.some((v) => v.includes('/etc/prometheus/switchyard.token')), 'Prometheus gets a viewer token file');
  });

  it('every service is well formed: an image or a build, string lists, loopback-only published ports', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      assert.ok(s.image || s.build, `${name}: image or build`);
      if (s.build) {
        assert.ok(existsSync(fromDir(s.build.context)), `${name}: build context ${s.build.context}`);
        assert.ok(existsSync(join(fromDir(s.build.context), s.build.dockerfile)), `${name}: ${s.build.dockerfile}`);
      }
      if (s.command) assert.ok(Array.isArray(s.command) && s.command.every((c) => typeof c === 'string'), `${name}: command is a list of strings`);
      for (const [k, v] of Object.entries(s.environment ?? {})) assert.equal(typeof v, 'string', `${name}: environment ${k} is a string (quote numbers)`);
      for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name}: port ${p} published on loopback only (put a proxy in front)`);
      if (s.restart) assert.match(s.restart, /^(no|always|on-failure|unless-stopped)$/);
    }
  });

  it('volumes, bind mounts and dependencies resolve', () => {
    const named = new Set(Object.keys(compose.volumes ?? {}));
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const [source, target, mode] = v.split(':');
        assert.ok(target?.startsWith('/'), `${name}: ${v} mounts at an absolute path`);
        if (mode !== undefined) assert.match(mode, /^(ro|rw)$/);
        if (source!.startsWith('.') || source!.startsWith('/')) assert.ok(existsSync(fromDir(source!)), `${name}: bind source ${source} exists`);
        else assert.ok(named.has(source!), `${name}: volume ${source} is declared`);
      }
      const deps = Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started' }])) : (s.depends_on ?? {});
      for (const [dep, { condition }] of Object.entries(deps)) {
        assert.ok(compose.services[dep], `${name} depends on ${dep}, which exists`);
        assert.match(condition, /^service_(started|healthy|completed_successfully)$/);
        if (condition === 'service_healthy') assert.ok(compose.services[dep]!.healthcheck, `${name} waits for ${dep} to be healthy: ${dep} needs a healthcheck`);
      }
    }
  });

  it('the control plane gets only variables the code reads and infra/ENVIRONMENT.md documents; secrets come from .env', () => {
    const documented = documentedVariables(readFileSync('infra/ENVIRONMENT.md', 'utf8'));
    const read = new Set(envReads().map((r) => r.name));
    for (const k of Object.keys(compose.services.switchyard!.environment ?? {})) {
      assert.ok(read.has(k), `switchyard: ${k} is read by the code`);
      assert.ok(documented.has(k), `switchyard: ${k} is in infra/ENVIRONMENT.md`);
    }
    for (const m of text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::[-?][^}]*)?\}/g)) assert.ok(documented.has(m[1]!), `\${${m[1]}} is in infra/ENVIRONMENT.md`);
    const example = readFileSync(join(DIR, '.env.example'), 'utf8');
    for (const m of text.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)) assert.match(example, new RegExp(`^${m[1]}=`, 'm'), `${m[1]} (required) is in .env.example`);
  });

  it('the image runs the CLI entry point from the sources it copies', () => {
    const dockerfile = readFileSync(join(DIR, 'Dockerfile'), 'utf8');
    for (const m of dockerfile.matchAll(/^COPY (\S+) /gm)) for (const src of m[1]!.split(' ')) assert.ok(existsSync(src), `COPY ${src} exists`);
    assert.match(dockerfile, /ENTRYPOINT \["node", "services\/cli\/bin\.js"\]/);
    assert.ok(existsSync('services/cli/bin.js'));
    assert.match(dockerfile, /^USER switchyard$/m, 'not root');
  });

  it('docker compose config accepts it, where docker compose is installed', (t) => {
    const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (version.status !== 0) {
      t.diagnostic('docker compose is not installed here: checked structurally only (the tests above)');
      return;
    }
    const env = { ...process.env, INFLUX_TOKEN: 't', INFLUX_ADMIN_PASSWORD: 'p', GRAFANA_ADMIN_PASSWORD: 'g', POSTGRES_PASSWORD: 'q' };
    const r = spawnSync('docker', ['compose', '-f', COMPOSE, 'config', '--quiet'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
  });
});

describe('Prometheus and Grafana provisioning', () => {
  const prom = parse(readFileSync(join(DIR, 'prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ job_name: string; metrics_path: string; static_configs?: Array<{ targets: string[] }>; file_sd_configs?: Array<{ files: string[] }> }>;
  };

  it('Prometheus scrapes the control plane service at /metrics and the agents listed in a mounted file', () => {
    const cp = prom.scrape_configs.find((s) => s.job_name === 'switchyard-control-plane')!;
    assert.equal(cp.metrics_path, '/metrics');
    const [host, port] = cp.static_configs![0]!.targets[0]!.split(':');
    assert.ok(compose.services[host!], `target ${host} is a compose service`);
    assert.equal(compose.services.switchyard!.environment!.PORT, port);
    const agents = prom.scrape_configs.find((s) => s.job_name === 'switchyard-agents')!;
    const mounted = compose.services.prometheus!.volumes!.map((v) => v.split(':')[1]);
    for (const f of agents.file_sd_configs![0]!.files) assert.ok(mounted.includes(f), `${f} is mounted into prometheus`);
    assert.ok(Array.isArray(parse(readFileSync(join(DIR, 'prometheus/agents.yml'), 'utf8'))), 'agents.yml is a target list');
  });

  const datasources = (parse(readFileSync(join(DIR, 'grafana/provisioning/datasources/switchyard.yaml'), 'utf8')) as { datasources: Array<{ uid: string; type: string; url: string }> }).datasources;
  const dashboards = readdirSync(join(DIR, 'grafana/dashboards')).map((f) => ({ file: f, json: JSON.parse(readFileSync(join(DIR, 'grafana/dashboards', f), 'utf8')) as { uid: string; panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ datasource: { uid: string }; query?: string; expr?: string }> }>; annotations: { list: Array<{ datasource: { uid: string }; expr: string }> } } }));

  it('datasources point at the compose services; the dashboard provider folder is mounted', () => {
    for (const d of datasources) assert.ok(compose.services[new URL(d.url).hostname], `${d.uid} → ${d.url} is a compose service`);
    const provider = parse(readFileSync(join(DIR, 'grafana/provisioning/dashboards/switchyard.yaml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    const mounted = compose.services.grafana!.volumes!.map((v) => v.split(':')[1]);
    assert.ok(mounted.includes(provider.providers[0]!.options.path));
  });

  it('dashboards: site MW by state, block hashrate and efficiency, GPU power, agent lag, curtailment annotations; every query names what the code writes', async () => {
    const uids = new Set(datasources.map((d) => d.uid));
    const written = new Set<string>();
    for (const f of ['services/telemetry/live-state.ts', 'services/telemetry/gpu-points.ts']) {
      if (existsSync(f)) for (const m of readFileSync(f, 'utf8').matchAll(/measurement: '([a-z_]+)'/g)) written.add(m[1]!);
    }
    const cp = new ControlPlaneMetrics({ live: new LiveState(loadSiteFile('test/support/sites/small.yaml')) });
    const metricNames = new Set([
      ...(await cp.registry.getMetricsAsJSON()).map((m) => m.name),
      ...(await agentRegistry('a', () => ({ poller: { minerCycles: 0, lastMinerCycle: undefined, minerOverruns: 0, tiers: {}, devices: { online: 0, offline: 0, error: 0 }, stale: 0, inventoryCycles: 0, minerConcurrencyNow: 1 }, shipper: { batchesSent: 0, readingsSent: 0, failedAttempts: 0, queuedBatches: 0, queuedReadings: 0, droppedReadings: 0, lastSeq: undefined, lastError: undefined, readingsAdded: 0, lastAckAtMs: undefined } })).getMetricsAsJSON()).map((m) => m.name),
    ]);
    const titles: string[] = [];
    for (const { file, json } of dashboards) {
      for (const p of json.panels) {
        titles.push(p.title);
        assert.ok(uids.has(p.datasource.uid), `${file} "${p.title}": datasource ${p.datasource.uid} is provisioned`);
        for (const t of p.targets) {
          assert.ok(uids.has(t.datasource.uid), `${file} "${p.title}": target datasource`);
          for (const m of (t.query ?? '').matchAll(/_measurement == "([a-z_]+)"/g)) {
            if (m[1] === 'gpu_host' && !written.has('gpu_host')) continue; // GPU rollups arrive with the AI work (services/telemetry/gpu-points.ts)
            assert.ok(written.has(m[1]!), `${file} "${p.title}": measurement ${m[1]} is written by the control plane`);
          }
          for (const m of (t.expr ?? '').matchAll(/\b(switchyard_[a-z_]+?)(_bucket|_sum|_count)?\b/g)) assert.ok(metricNames.has(m[1]!), `${file} "${p.title}": metric ${m[1]} exists`);
        }
      }
      for (const a of json.annotations.list) {
        assert.ok(uids.has(a.datasource.uid));
        for (const m of a.expr.matchAll(/\b(switchyard_[a-z_]+)\b/g)) assert.ok(metricNames.has(m[1]!), `annotation metric ${m[1]}`);
      }
    }
    for (const want of [/by block state/, /Hashrate per block/, /Efficiency per block/, /GPU power/, /Agent lag/]) assert.ok(titles.some((t) => want.test(t)), `a panel ${want}`);
    assert.ok(dashboards.some((d) => d.json.annotations.list.some((a) => /curtailment/.test(a.expr))), 'curtailment annotations');
  });
});
