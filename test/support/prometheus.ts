import { createRequire } from 'node:module';

/** Prometheus text parsed with parse-prometheus-text-format (prom2json's shape), for tests. */
export interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

export function parsePrometheus(text: string): Map<string, Family> {
  return new Map(parse(text).map((f) => [f.name, f]));
}

/** The family, or a failure naming what the text does carry. */
export function family(fams: Map<string, Family>, name: string): Family {
  const f = fams.get(name);
  if (!f) throw new Error(`no series ${name}; the text has: ${[...fams.keys()].join(', ')}`);
  return f;
}

/** Sum of a counter/gauge family's values (optionally only samples matching `labels`). */
export function total(f: Family, labels: Record<string, string> = {}): number {
  return f.metrics
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((s, m) => s + Number(m.value ?? m.count ?? 0), 0);
}

/**
 * One sample's value from the text, by its full name (e.g. `x_count`, `x_sum`) and labels.
 * For labelled histograms: parse-prometheus-text-format folds every label set of a histogram
 * into one bucket map and drops their labels, sums and counts (its flattenMetrics), so those
 * are read from the lines here, after parsePrometheus has checked the whole text.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[4]);
  }
  return undefined;
}
