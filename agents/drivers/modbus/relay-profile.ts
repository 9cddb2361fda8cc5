import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { check } from '../../../services/domain/schema.ts';
import { Strict } from '../../../services/lib/strict.ts';
import { ContextError, wrap } from '../../../services/lib/errors.ts';

/**
 * A Modbus relay module profile (agents/profiles/modbus/relays/<name>.yaml): how its coils map
 * to the wire and which coil value means power on. Validated at load; unknown keys rejected.
 */
export const RelayProfile = Strict({
  make: Type.String({ minLength: 1 }),
  model: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  /** Wire address = coil number − addressBase. */
  addressBase: Type.Integer({ minimum: 0, maximum: 1, default: 0 }),
  /** The coil value that closes the contactor (power on). */
  onValue: Type.Boolean({ default: true }),
  /** Coils on the module (wire addresses 0 … coilCount − 1). */
  coilCount: Type.Integer({ minimum: 1, maximum: 65536 }),
  maxCoilsPerWrite: Type.Integer({ minimum: 1, maximum: 1968, default: 1968 }),
  /** Default limit on switching on: kW per step and the pause between steps. */
  inrush: Strict({ maxStepKw: Type.Number({ exclusiveMinimum: 0 }), stepIntervalMs: Type.Integer({ minimum: 0 }) }),
});
export type RelayProfile = Static<typeof RelayProfile>;

export class RelayProfileError extends ContextError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_RELAY_PROFILE', message, options);
    this.name = 'RelayProfileError';
  }
}

export const RELAY_PROFILE_DIR = fileURLToPath(new URL('../../profiles/modbus/relays/', import.meta.url));

export function loadRelayProfile(name: string, dir = RELAY_PROFILE_DIR): RelayProfile {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new RelayProfileError(`"${name}" is not a profile name (lower-case letters, digits, . _ -)`);
  const path = `${dir.replace(/\/?$/, '/')}${name}.yaml`;
  try {
    return check(RelayProfile, parseYaml(readFileSync(path, 'utf8')), path);
  } catch (err) {
    throw new RelayProfileError(wrap(`loading relay profile ${path}`, err).message, { cause: err });
  }
}
