import { atSunSpecBase, type ModbusProfile } from './profile.ts';
import { planReads, readProfile, type ProfileReading, type ReadBlock, type RegisterReader } from './read.ts';
import { discoverSunSpec, findModel } from './sunspec.ts';

/**
 * A profile made ready for one device: plain profiles plan at once; SunSpec model profiles
 * first find their model on the device (marker, model chain) and plan at its address.
 */
export interface ResolvedProfile {
  profile: ModbusProfile;
  plan: ReadBlock[];
  /** Wire address of the SunSpec model's ID register, for SunSpec profiles. */
  sunspecModelStart?: number;
}

export async function resolveProfile(reader: RegisterReader, unitId: number, profile: ModbusProfile): Promise<ResolvedProfile> {
  if (profile.sunspec === undefined) return { profile, plan: planReads(profile) };
  const map = await discoverSunSpec(reader, unitId);
  const model = findModel(map, profile.sunspec.model, profile.sunspec.length);
  const rebased = atSunSpecBase(profile, model.start);
  return { profile: rebased, plan: planReads(rebased), sunspecModelStart: model.start };
}

export async function readResolved(reader: RegisterReader, unitId: number, resolved: ResolvedProfile): Promise<ProfileReading> {
  return readProfile(reader, unitId, resolved.profile, resolved.plan);
}
