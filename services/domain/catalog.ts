import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { check } from './schema.ts';
import { Strict } from '../lib/strict.ts';
import { ContextError, wrap } from '../lib/errors.ts';

/**
 * Device model catalogs: nominal facts about ASIC and GPU models (spec sheets), kept apart
 * from firmware behaviour. Site files reference models by id; both catalogs are YAML next to
 * this file, validated once and cached for the life of the process.
 */

const ModelId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9+_.-]{0,63}$' });

const AsicEntry = Strict({
  make: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  hashrateThs: Type.Number({ exclusiveMinimum: 0 }),
  powerW: Type.Number({ exclusiveMinimum: 0 }),
  cooling: Type.Union([Type.Literal('air'), Type.Literal('hydro'), Type.Literal('immersion')]),
  minPowerW: Type.Number({ exclusiveMinimum: 0 }),
  maxPowerW: Type.Number({ exclusiveMinimum: 0 }),
  sleepPowerW: Type.Number({ minimum: 0 }),
});
const AsicCatalogFile = Type.Record(ModelId, AsicEntry, { minProperties: 1 });

const GpuEntry = Strict({
  vendor: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  tdpW: Type.Number({ exclusiveMinimum: 0 }),
  idlePowerW: Type.Number({ minimum: 0 }),
  gpusPerSystem: Type.Integer({ minimum: 1 }),
  systemPowerW: Type.Number({ exclusiveMinimum: 0 }),
  memoryGb: Type.Number({ exclusiveMinimum: 0 }),
});
const GpuCatalogFile = Type.Record(ModelId, GpuEntry, { minProperties: 1 });

export type AsicCooling = Static<typeof AsicEntry>['cooling'];

export interface AsicModel {
  readonly id: string;
  readonly make: string;
  readonly name: string;
  /** Nominal hashrate, TH/s (spec-sheet unit; convert with `* 1e12` for H/s). */
  readonly hashrateThs: number;
  /** Nominal power at the wall, W. */
  readonly powerW: number;
  /** powerW / hashrateThs, J/TH. */
  readonly efficiencyJPerTh: number;
  readonly cooling: AsicCooling;
  /** Allowed power-target range for partial curtailment, W. */
  readonly minPowerW: number;
  readonly maxPowerW: number;
  /** Draw while asleep (control board only), W. */
  readonly sleepPowerW: number;
}

export interface GpuModel {
  readonly id: string;
  readonly vendor: string;
  readonly name: string;
  /** Per-GPU board power limit, W. */
  readonly tdpW: number;
  readonly idlePowerW: number;
  /** GPUs in one system (DGX/HGX node, or NVL72 rack). */
  readonly gpusPerSystem: number;
  /** Whole-system power (CPUs, NICs, fans included), W. */
  readonly systemPowerW: number;
  readonly memoryGb: number;
}

export class CatalogError extends ContextError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CATALOG', message, options);
    this.name = 'CatalogError';
  }
}

/** Parses and validates ASIC catalog YAML text. Pure; `what` names the source in errors. */
export function parseAsicCatalog(text: string, what: string): ReadonlyMap<string, AsicModel> {
  const raw = checked(AsicCatalogFile, text, what);
  const out = new Map<string, AsicModel>();
  const problems: string[] = [];
  for (const [id, e] of Object.entries(raw)) {
    // The power range must contain the nominal point and stay above sleep, or curtailment
    // targets computed from it would ask a miner for something it cannot do.
    if (!(e.minPowerW <= e.powerW && e.powerW <= e.maxPowerW)) {
      problems.push(`${id}: need minPowerW ≤ powerW ≤ maxPowerW (${e.minPowerW} ≤ ${e.powerW} ≤ ${e.maxPowerW})`);
    }
    if (!(e.sleepPowerW < e.minPowerW)) problems.push(`${id}: sleepPowerW must be below minPowerW`);
    out.set(id, Object.freeze({ id, ...e, efficiencyJPerTh: e.powerW / e.hashrateThs }));
  }
  if (problems.length > 0) throw new CatalogError(`${what}: ${problems.join('; ')}`);
  return out;
}

/** Parses and validates GPU catalog YAML text. Pure; `what` names the source in errors. */
export function parseGpuCatalog(text: string, what: string): ReadonlyMap<string, GpuModel> {
  const raw = checked(GpuCatalogFile, text, what);
  const out = new Map<string, GpuModel>();
  const problems: string[] = [];
  for (const [id, e] of Object.entries(raw)) {
    if (!(e.idlePowerW < e.tdpW)) problems.push(`${id}: idlePowerW must be below tdpW`);
    // A system carries its GPUs plus host overhead, so it can never draw less than its GPUs.
    if (!(e.systemPowerW >= e.tdpW * e.gpusPerSystem)) {
      problems.push(`${id}: systemPowerW ${e.systemPowerW} is below gpusPerSystem × tdpW (${e.gpusPerSystem * e.tdpW})`);
    }
    out.set(id, Object.freeze({ id, ...e }));
  }
  if (problems.length > 0) throw new CatalogError(`${what}: ${problems.join('; ')}`);
  return out;
}

function checked<S extends typeof AsicCatalogFile | typeof GpuCatalogFile>(schema: S, text: string, what: string): Static<S> {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new CatalogError(wrap(`parsing ${what}`, err).message, { cause: err });
  }
  try {
    return check(schema, value, what);
  } catch (err) {
    throw new CatalogError(wrap('validating catalog', err).message, { cause: err });
  }
}

const catalogDir = fileURLToPath(new URL('./catalog/', import.meta.url));

function readCatalog(fileName: string): string {
  const path = catalogDir + fileName;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CatalogError(wrap(`reading ${path}`, err).message, { cause: err });
  }
}

let asics: ReadonlyMap<string, AsicModel> | undefined;
let gpus: ReadonlyMap<string, GpuModel> | undefined;

/** The ASIC catalog (services/domain/catalog/asic-models.yaml), loaded once. */
export function asicCatalog(): ReadonlyMap<string, AsicModel> {
  asics ??= parseAsicCatalog(readCatalog('asic-models.yaml'), 'asic-models.yaml');
  return asics;
}

/** The GPU catalog (services/domain/catalog/gpu-models.yaml), loaded once. */
export function gpuCatalog(): ReadonlyMap<string, GpuModel> {
  gpus ??= parseGpuCatalog(readCatalog('gpu-models.yaml'), 'gpu-models.yaml');
  return gpus;
}
