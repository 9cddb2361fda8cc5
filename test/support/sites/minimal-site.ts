/**
 * The smallest valid site file, as text: tests append keys to it or edit lines and check the
 * file:line:key of the error. It is 14 lines, so whatever is appended starts on line 15.
 */
export const MINIMAL_SITE_YAML = `site:
  id: s
  name: S
  timezone: UTC
  market: { iso: ERCOT, settlementPoint: LZ_WEST }
  importLimitMw: 1
blocks:
  - id: B1
    name: Hall
    feed: T1
    capacityMw: 0.5
    cooling: air
    state: mining
    capability: [mining]
`;
