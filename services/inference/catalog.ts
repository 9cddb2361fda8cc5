import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { check } from '../domain/schema.ts';
import { wrap } from '../lib/errors.ts';
import { Strict } from '../lib/strict.ts';

/** The accelerator catalog (accelerators.yaml): every figure with its kind and source. */
const Kind = Type.Union([Type.Literal('published'), Type.Literal('estimate')]);
const Figure = Strict({ value: Type.Number({ exclusiveMinimum: 0 }), kind: Kind, source: Type.String({ minLength: 1 }) });
const Throughput = Strict({ value: Type.Number({ exclusiveMinimum: 0 }), kind: Kind, model: Type.String({ minLength: 1 }), source: Type.String({ minLength: 1 }) });

export const Accelerator = Strict({
  name: Type.String({ minLength: 1 }),
  acceleratorsPerSystem: Type.Integer({ minimum: 1 }),
  systemPowerW: Figure,
  systemPriceUsd: Figure,
  tokensPerSecPerAccelerator: Throughput,
});
export type Accelerator = Static<typeof Accelerator>;

export const AcceleratorCatalog = Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }), Accelerator);

const DEFAULT_PATH = new URL('./accelerators.yaml', import.meta.url);

export function loadAccelerators(path: string | URL = DEFAULT_PATH): Map<string, Accelerator> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw wrap(`reading accelerator catalog ${String(path)}`, err, 'E_CATALOG');
  }
  return new Map(Object.entries(check(AcceleratorCatalog, raw, `accelerator catalog ${String(path)}`)));
}
