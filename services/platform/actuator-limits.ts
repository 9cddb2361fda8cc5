import { loadRelayProfile } from '../../agents/drivers/modbus/relay-profile.ts';
import { loadProfile } from '../../agents/drivers/snmp/profile.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import { inrushLimits } from '../curtailment/hard-cut-site.ts';
import type { InrushStep } from '../curtailment/restore-plan.ts';

/** Each actuator's inrush limit: the site file's, else its profile's default (profiles live with the agent). */
export function actuatorInrushLimits(site: SiteFile): Map<string, InrushStep> {
  return inrushLimits(site, (kind, profile) => {
    if (kind === 'relay') return loadRelayProfile(profile).inrush;
    const control = loadProfile(profile).outletControl;
    if (control === undefined) throw new Error(`SNMP profile ${profile} has no outletControl: it cannot be an actuator`);
    return control.inrush;
  });
}
