import { errorMessage } from '../../../services/lib/errors.ts';
import type { RegisterReader } from './read.ts';

/**
 * SunSpec discovery: find the "SunS" marker, then walk the chain of (model id, length) headers.
 * The I/O is a handful of small reads through a RegisterReader (which owns the timeouts); the
 * rules are pure functions below.
 */
export const SUNS_MARKER = [0x5375, 0x6e53] as const;
/** Wire addresses the marker may be at: 40000 is usual, 40001/50001/1 from devices counting from 1. */
export const SUNSPEC_BASES = [40000, 40001, 50000, 50001, 0, 1] as const;
export const END_MODEL_ID = 0xffff;
const MAX_MODELS = 100;

export interface SunSpecModel {
  id: number;
  /** Wire address of the model's ID register. */
  start: number;
  /** Registers after the two-register header. */
  length: number;
}

export interface SunSpecMap {
  base: number;
  models: SunSpecModel[];
}

export const isSunSpecMarker = (words: ArrayLike<number>): boolean => words[0] === SUNS_MARKER[0] && words[1] === SUNS_MARKER[1];

/** Where the model after `model` starts. Pure. */
export const nextModelStart = (model: SunSpecModel): number => model.start + 2 + model.length;

export async function discoverSunSpec(reader: RegisterReader, unitId: number, bases: readonly number[] = SUNSPEC_BASES): Promise<SunSpecMap> {
  const tried: string[] = [];
  for (const base of bases) {
    let words: number[];
    try {
      words = await reader.read(unitId, 'holding', base, 2);
    } catch (err) {
      // A device without registers there answers with an exception; anything else (no answer)
      // means there is no point trying further addresses.
      if ((err as { modbusCode?: unknown }).modbusCode === undefined) throw err;
      tried.push(`${base}: ${errorMessage(err)}`);
      continue;
    }
    if (isSunSpecMarker(words)) return { base, models: await walkModels(reader, unitId, base + 2) };
    tried.push(`${base}: no marker`);
  }
  throw new Error(`no SunSpec marker "SunS" at unit ${unitId} (${tried.join('; ')})`);
}

async function walkModels(reader: RegisterReader, unitId: number, first: number): Promise<SunSpecModel[]> {
  const models: SunSpecModel[] = [];
  let start = first;
  while (models.length < MAX_MODELS) {
    if (start + 2 > 65536) throw new Error(`SunSpec model chain runs past register 65535 at ${start}`);
    const [id, length] = await reader.read(unitId, 'holding', start, 2);
    if (id === undefined || length === undefined) throw new Error(`SunSpec model header at ${start}: short reply`);
    if (id === END_MODEL_ID || id === 0) return models;
    const model = { id, start, length };
    models.push(model);
    start = nextModelStart(model);
  }
  throw new Error(`SunSpec model chain longer than ${MAX_MODELS} models; stopped at ${start}`);
}

/** The first model with this id, or an error listing what the device has. */
export function findModel(map: SunSpecMap, id: number, minLength: number): SunSpecModel {
  const model = map.models.find((m) => m.id === id);
  if (model === undefined) throw new Error(`SunSpec model ${id} not found (device has ${map.models.map((m) => m.id).join(', ') || 'no models'})`);
  if (model.length < minLength) throw new Error(`SunSpec model ${id} at ${model.start} has length ${model.length}, expected at least ${minLength}`);
  return model;
}
