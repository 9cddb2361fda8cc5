/**
 * The kinds of device the SNMP driver reads, as a site file's snmpDevices[].kind and a
 * profile's kind name them. A new kind (say an automatic transfer switch) is one word here
 * and a profile in agents/profiles/snmp/; the control plane takes any kind a driver declares.
 */
export const SNMP_DEVICE_KINDS = ['pdu', 'cooling', 'ups'] as const;
export type SnmpDeviceKind = (typeof SNMP_DEVICE_KINDS)[number];
