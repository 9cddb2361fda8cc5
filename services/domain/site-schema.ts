import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../lib/strict.ts';
import { Actuators } from './actuator-schema.ts';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const IsoDate = Type.String({ format: 'date' });
const Pct = Type.Number({ minimum: 0, maximum: 100 });

export const BlockState = Type.Union([
  Type.Literal('mining'),
  Type.Literal('ai'),
  Type.Literal('curtailed'),
  Type.Literal('converting'),
]);
export type BlockState = Static<typeof BlockState>;

export const Cooling = Type.Union([
  Type.Literal('air'),
  Type.Literal('hydro'),
  Type.Literal('immersion'),
  Type.Literal('liquid'),
]);

export const Capability = Type.Union([Type.Literal('mining'), Type.Literal('ai')]);

export const Firmware = Type.Union([
  Type.Literal('antminer'),
  Type.Literal('whatsminer'),
  Type.Literal('braiins'),
  Type.Literal('luxos'),
  Type.Literal('avalon'),
]);
export type Firmware = Static<typeof Firmware>;

/** Where a group of miners lives on the network: one address each, as on a real site. */
export const MinerNetwork = Strict({
  /** IPv4 CIDR holding the group's addresses, assigned in order from the first host. */
  cidr: Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 4028 }),
});

export const MinerGroup = Strict({
  /** Key into the ASIC catalog (services/domain/catalog/asic-models.yaml). */
  model: Type.String(),
  count: Type.Integer({ minimum: 1 }),
  firmware: Firmware,
  network: MinerNetwork,
});
export type MinerGroup = Static<typeof MinerGroup>;

export const GpuGroup = Strict({
  /** Key into the GPU catalog (services/domain/catalog/gpu-models.yaml). */
  model: Type.String(),
  /** Number of GPUs (for a rack-scale system such as GB200 NVL72: number of racks × 72). */
  count: Type.Integer({ minimum: 1 }),
  /** Mean share of the contract's workload these GPUs run, 0..1, used by the twin and planning. */
  utilization: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
});
export type GpuGroup = Static<typeof GpuGroup>;

export const MeterRef = Strict({
  id: Id,
  role: Type.Union([Type.Literal('revenue'), Type.Literal('block')]),
  /** Modbus TCP endpoint. host/port of the meter or its gateway; unitId addresses the meter. */
  host: Type.String({ default: '127.0.0.1' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 502 }),
  unitId: Type.Integer({ minimum: 0, maximum: 247 }),
  /** Name of a Modbus profile in agents/profiles/modbus/. */
  profile: Type.String(),
  blockId: Type.Optional(Id),
});
export type MeterRef = Static<typeof MeterRef>;

/** SNMPv3 authPriv credentials (the only v3 level the agent speaks). */
export const SnmpV3Ref = Strict({
  user: Type.String({ minLength: 1 }),
  authProtocol: Type.Union([Type.Literal('sha'), Type.Literal('sha256')]),
  authKey: Type.String({ minLength: 8 }),
  privProtocol: Type.Union([Type.Literal('aes'), Type.Literal('aes256')]),
  privKey: Type.String({ minLength: 8 }),
});
export type SnmpV3Ref = Static<typeof SnmpV3Ref>;

/** A PDU, cooling unit or UPS the agent reads over SNMP through a profile. */
export const SnmpDeviceRef = Strict({
  id: Id,
  /** One of the SNMP driver's device kinds (pdu, cooling, ups; agents/drivers/snmp/kinds.ts), checked by the agent at start. */
  kind: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
  blockId: Type.Optional(Id),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 161 }),
  /** Name of an SNMP profile in agents/profiles/snmp/. */
  profile: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$' }),
  version: Type.Union([Type.Literal('2c'), Type.Literal('3')]),
  /** v2c community (default "public"). */
  community: Type.Optional(Type.String({ minLength: 1 })),
  /** Required when version is 3. */
  v3: Type.Optional(SnmpV3Ref),
});
export type SnmpDeviceRef = Static<typeof SnmpDeviceRef>;

/** A GPU server whose GPUs the agent reads by running nvidia-smi there. */
export const GpuHostRef = Strict({
  id: Id,
  blockId: Id,
  /** The host's name in readings and logs (nvidia-smi runs where the agent runs or via nvidiaSmiPath). */
  host: Type.String({ minLength: 1 }),
  nvidiaSmiPath: Type.String({ minLength: 1, default: 'nvidia-smi' }),
  /** Power limit kept on every GPU of the host, W; re-applied when it drifts. */
  powerLimitW: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** When set, the agent reads the host's dcgm-exporter page here (http://host:9400/metrics) instead of running nvidia-smi. */
  dcgmUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 512 })),
});
export type GpuHostRef = Static<typeof GpuHostRef>;

export const Block = Strict({
  id: Id,
  name: Type.String({ minLength: 1 }),
  /** Electrical feed (feeder/transformer) the block hangs off. */
  feed: Type.String({ minLength: 1 }),
  /** Gross capacity at the meter, MW. */
  capacityMw: Type.Number({ exclusiveMinimum: 0 }),
  cooling: Cooling,
  state: BlockState,
  /** What the block's electrical and cooling plant can host today. */
  capability: Type.Array(Capability, { minItems: 1, uniqueItems: true }),
  /** Facility overhead (cooling, distribution) as a multiplier on IT load, e.g. 1.08. */
  overheadFactor: Type.Number({ minimum: 1, maximum: 2, default: 1.05 }),
  miners: Type.Array(MinerGroup, { default: [] }),
  gpus: Type.Array(GpuGroup, { default: [] }),
  /** The contract this block serves when state is ai. */
  contractId: Type.Optional(Id),
  /** For a block being converted: expected ready date and target. */
  conversion: Type.Optional(
    Strict({ to: Capability, readyDate: IsoDate, capexUsd: Type.Number({ minimum: 0 }) }),
  ),
});
export type Block = Static<typeof Block>;

/**
 * Who pays the AI load's energy (finance issue 11 item 2): `pass-through` — the tenant is
 * billed the metered kWh at the price the site paid (usual for colocation); `included` — the
 * rent covers it and the operator pays; `operator-paid` — GPU cloud, the operator pays.
 * Either way the energy is the metered (or utilisation-scaled) load, never nameplate.
 */
export const PowerCost = Type.Union([Type.Literal('pass-through'), Type.Literal('included'), Type.Literal('operator-paid')]);
export type PowerCost = Static<typeof PowerCost>;

/**
 * A ramp: the share of the contracted capacity billed from each date (ascending). Before the
 * first step, and without a ramp, the whole capacity is billed from the start date.
 */
export const Ramp = Type.Array(Strict({ fromDate: IsoDate, sharePct: Pct }), { minItems: 1 });

export const ColocationLease = Strict({
  id: Id,
  kind: Type.Literal('colocation'),
  counterparty: Type.String({ minLength: 1 }),
  rateUsdPerKwMonth: Type.Number({ exclusiveMinimum: 0 }),
  /** Critical IT load leased, MW. */
  criticalItMw: Type.Number({ exclusiveMinimum: 0 }),
  startDate: IsoDate,
  termMonths: Type.Integer({ minimum: 1 }),
  escalatorPctPerYear: Type.Number({ minimum: 0, maximum: 20, default: 0 }),
  /** Share of the contracted rate owed whether or not the tenant uses the capacity. */
  takeOrPayPct: Pct,
  slaUptimePct: Pct,
  /** Credit owed per percentage point below the SLA, as a share of the monthly fee. */
  slaCreditPctPerPoint: Type.Number({ minimum: 0, maximum: 100, default: 5 }),
  powerCost: Type.Optional(PowerCost),
  ramp: Type.Optional(Ramp),
  /** How much of the tenant's load may be shed in a grid event (GPU power caps). */
  flexibility: Type.Optional(Strict({ maxCurtailPct: Pct, maxEventsPerMonth: Type.Integer({ minimum: 0 }) })),
});
export type ColocationLease = Static<typeof ColocationLease>;

export const GpuCloudContract = Strict({
  id: Id,
  kind: Type.Literal('gpu-cloud'),
  counterparty: Type.String({ minLength: 1 }),
  gpuModel: Type.String(),
  gpuCount: Type.Integer({ minimum: 1 }),
  rateUsdPerGpuHour: Type.Number({ exclusiveMinimum: 0 }),
  /** Expected share of hours billed, 0..1. */
  utilization: Type.Number({ minimum: 0, maximum: 1 }),
  startDate: IsoDate,
  termMonths: Type.Integer({ minimum: 1 }),
  slaUptimePct: Pct,
  powerCost: Type.Optional(PowerCost),
  ramp: Type.Optional(Ramp),
  flexibility: Type.Optional(Strict({ maxCurtailPct: Pct, maxEventsPerMonth: Type.Integer({ minimum: 0 }) })),
});
export type GpuCloudContract = Static<typeof GpuCloudContract>;

/**
 * A tagged union on `kind`. Ajv's discriminator compiles it to a switch, so only the matching
 * branch is checked: its defaults are applied and its errors are the only ones reported
 * (a plain anyOf would skip defaults and report every branch).
 */
export const Contract = Type.Unsafe<Static<typeof ColocationLease> | Static<typeof GpuCloudContract>>({
  type: 'object',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: [ColocationLease, GpuCloudContract],
});
export type Contract = Static<typeof Contract>;

export const Covenant = Strict({
  kind: Type.Union([
    Type.Literal('min-dscr'),
    Type.Literal('max-net-leverage'),
    Type.Literal('min-liquidity-usd'),
    Type.Literal('max-ltv'),
  ]),
  threshold: Type.Number(),
});

export const DebtInstrument = Strict({
  id: Id,
  name: Type.String({ minLength: 1 }),
  kind: Type.Union([
    Type.Literal('term-loan'),
    Type.Literal('convertible-note'),
    Type.Literal('equipment-financing'),
    Type.Literal('btc-backed-loan'),
  ]),
  principalUsd: Type.Number({ exclusiveMinimum: 0 }),
  couponPct: Type.Number({ minimum: 0, maximum: 50 }),
  issueDate: IsoDate,
  maturityDate: IsoDate,
  amortization: Type.Union([Type.Literal('bullet'), Type.Literal('straight-line'), Type.Literal('annuity')]),
  paymentsPerYear: Type.Integer({ minimum: 1, maximum: 12, default: 4 }),
  secured: Type.Boolean(),
  collateral: Type.Optional(Type.String()),
  /** For convertible notes. */
  conversionPriceUsd: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** For BTC-backed loans. */
  btcPledged: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  marginCallLtvPct: Type.Optional(Pct),
  /**
   * Rate a bullet is rolled at when it matures (a stated assumption): the refinanced principal
   * keeps paying interest at this rate. Without it the company file's refinancing default applies.
   */
  refinanceCouponPct: Type.Optional(Type.Number({ minimum: 0, maximum: 50 })),
  covenants: Type.Array(Covenant, { default: [] }),
});
export type DebtInstrument = Static<typeof DebtInstrument>;

const IsoDateTime = Type.String({ format: 'date-time' });

/** How the scheduler plans this site (services/scheduler). Every key has a default. */
export const DispatchSettings = Strict({
  intervalMinutes: Type.Union([Type.Literal(5), Type.Literal(15), Type.Literal(60)], { default: 5 }),
  horizonHours: Type.Integer({ minimum: 1, maximum: 168, default: 48 }),
  /** How often the plan is recomputed on the queue, minutes. */
  replanEveryMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 5 }),
  /** Fastest the site load may rise / fall, MW per minute (the utility's or the transformer's limit). */
  rampUpMwPerMin: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  rampDownMwPerMin: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** A block that starts runs at least this long; one that stops stays off at least this long. */
  minOnMinutes: Type.Integer({ minimum: 1, default: 15 }),
  minOffMinutes: Type.Integer({ minimum: 1, default: 15 }),
  /** Cost of restarting a block, USD per MW (hashboard thermal cycling, lost hashing while ramping). */
  restartCostUsdPerMw: Type.Number({ minimum: 0, default: 15 }),
  /** Longest stretch one "event" of an AI contract's flexibility covers, minutes. */
  flexEventMinutes: Type.Integer({ minimum: 5, default: 60 }),
  /** Predicted 4CP peak windows (June–September), UTC. */
  fourCpWindows: Type.Array(Strict({ start: IsoDateTime, end: IsoDateTime }), { default: [] }),
  /** Site load allowed during a 4CP window, MW (default: AI at its floor, miners asleep). */
  fourCpCapMw: Type.Optional(Type.Number({ minimum: 0 })),
  ppa: Type.Optional(
    Strict({
      mw: Type.Number({ exclusiveMinimum: 0 }),
      priceUsdPerMwh: Type.Number({ minimum: 0 }),
      resaleDiscountUsdPerMwh: Type.Number({ minimum: 0, default: 0 }),
    }),
  ),
  /** Demand-response programs paying for mining load not drawn. */
  demandResponse: Type.Array(
    Strict({ program: Type.String({ minLength: 1 }), start: IsoDateTime, end: IsoDateTime, creditUsdPerMwh: Type.Number({ minimum: 0 }) }),
    { default: [] },
  ),
  /** Hashprice to plan with when no chain data is given, USD per PH/s per day. */
  hashpriceUsdPerPhDay: Type.Optional(Type.Number({ minimum: 0 })),
  /** Price file (ERCOT posting or timestamp,price CSV), relative to the site file. */
  pricesFile: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * Forecast by hour of day in the site's timezone, USD/MWh (24 values), for the part of the
   * horizon the price file does not cover. Plans say which intervals used it.
   */
  priceProfileUsdPerMwh: Type.Optional(Type.Array(Type.Number({ minimum: -10_000, maximum: 100_000 }), { minItems: 24, maxItems: 24 })),
});
export type DispatchSettings = Static<typeof DispatchSettings>;

/** Event sources and restore settings of the curtailment engine (services/curtailment). */
const HoldSeconds = Type.Number({ minimum: 0, maximum: 86_400 });

/**
 * The live power-price feed (services/market/start-feed.ts): a `timestamp,price_usd_per_mwh`
 * file another program appends to, or the ERCOT public API (credentials from
 * SWITCHYARD_ERCOT_*). The price-strike rule and the scheduler read it; its last price and age
 * are on the operator page; a stale feed raises an alert and never curtails by itself.
 */
export const LivePricesSettings = Strict({
  source: Type.Union([Type.Literal('file'), Type.Literal('ercot-api')]),
  /** source file: the CSV, relative to the site file; and its interval length. */
  file: Type.Optional(Type.String({ minLength: 1 })),
  intervalMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })),
  /** source ercot-api: real-time (NP6-905-CD, 15 min) or day-ahead (NP4-190-CD, hourly). */
  report: Type.Optional(Type.Union([Type.Literal('rtm'), Type.Literal('dam')])),
  /** Default: site.market.settlementPoint. */
  settlementPoint: Type.Optional(Type.String({ minLength: 1 })),
  settlementPointType: Type.Optional(Type.String({ minLength: 1 })),
  /** How often to read the file or ask the API, s (default 1 for a file, 60 for the API). */
  pollSeconds: Type.Optional(Type.Number({ minimum: 0.1, maximum: 3600 })),
  /** No new price for this long: stale (alert). */
  staleAfterMinutes: Type.Number({ exclusiveMinimum: 0, maximum: 1440, default: 30 }),
  requestTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 120, default: 10 }),
});
export type LivePricesSettings = Static<typeof LivePricesSettings>;

/** The price-strike rule on the live feed (services/curtailment/strike-rule.ts). */
export const PriceStrikeSettings = Strict({
  strikeUsdPerMwh: Type.Number({ minimum: -10_000, maximum: 100_000 }),
  curtailAfterIntervals: Type.Integer({ minimum: 1, maximum: 1000 }),
  resumeAfterIntervals: Type.Integer({ minimum: 1, maximum: 1000 }),
  resumeAtOrBelowUsdPerMwh: Type.Optional(Type.Number({ minimum: -10_000, maximum: 100_000 })),
  hardStrikeUsdPerMwh: Type.Optional(Type.Number({ minimum: -10_000, maximum: 100_000 })),
  /** Exactly one of targetMw and shedMw. */
  targetMw: Type.Optional(Type.Number({ minimum: 0 })),
  shedMw: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  maxDurationMinutes: Type.Number({ minimum: 1, maximum: 7 * 1440, default: 1440 }),
  allowAi: Type.Boolean({ default: false }),
});
export type PriceStrikeSettings = Static<typeof PriceStrikeSettings>;

export const CurtailmentSettings = Strict({
  /** Restore: how fast load comes back, MW per minute; waves this far apart; off at least this long. */
  restoreRampMwPerMin: Type.Number({ exclusiveMinimum: 0, default: 20 }),
  restoreStaggerSeconds: Type.Number({ minimum: 0, default: 2 }),
  minOffMinutes: Type.Number({ minimum: 0, default: 1 }),
  /**
   * Restore hysteresis per program (services/curtailment/hysteresis.ts): an end waits this
   * long before the restore starts, and a new request of the same program inside it extends
   * the held event. Keys are the curtailment programs; default 0 (restore at once).
   */
  restoreHoldSeconds: Type.Optional(
    Strict({
      operator: Type.Optional(HoldSeconds),
      'price-strike': Type.Optional(HoldSeconds),
      'grid-dispatch': Type.Optional(HoldSeconds),
      openadr: Type.Optional(HoldSeconds),
      'under-frequency': Type.Optional(HoldSeconds),
      '4cp': Type.Optional(HoldSeconds),
    }),
  ),
  /** The control plane's own under-frequency trigger on the revenue meter (agents have theirs). */
  underFrequency: Type.Optional(
    Strict({
      tripHz: Type.Number({ minimum: 55, maximum: 60, default: 59.7 }),
      shedMw: Type.Number({ exclusiveMinimum: 0 }),
      maxDurationMinutes: Type.Number({ exclusiveMinimum: 0, default: 30 }),
      allowAi: Type.Boolean({ default: false }),
    }),
  ),
  /** Curtail on live prices (needs the site's livePrices feed). */
  priceStrike: Type.Optional(PriceStrikeSettings),
  /** An OpenADR 3 VTN to follow; the client secret comes from SWITCHYARD_OPENADR_CLIENT_SECRET. */
  openadr: Type.Optional(
    Strict({
      vtnUrl: Type.String({ pattern: '^https?://' }),
      clientId: Type.String({ minLength: 1 }),
      venName: Type.String({ minLength: 1 }),
      programNames: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
      pollIntervalSeconds: Type.Number({ minimum: 1, default: 10 }),
      allowAi: Type.Boolean({ default: false }),
    }),
  ),
});
export type CurtailmentSettings = Static<typeof CurtailmentSettings>;

/**
 * Which devices a site agent reads, and so which it may report and be sent commands for.
 * A block brings every miner, GPU, block meter, SNMP device and GPU host in it; `meters`,
 * `snmpDevices` and `gpuHosts` name devices outside a block (the revenue meter) or hand one
 * in another agent's block to this agent. A site without `agents` has one agent: the first
 * to ship a batch holds every device until the control plane restarts.
 */
export const AgentAssignment = Strict({
  /** The agent's id: its token's name and the agentId of its batches. */
  id: Type.String({ minLength: 1, maxLength: 128 }),
  blocks: Type.Array(Id, { default: [], uniqueItems: true }),
  meters: Type.Array(Id, { default: [], uniqueItems: true }),
  snmpDevices: Type.Array(Id, { default: [], uniqueItems: true }),
  gpuHosts: Type.Array(Id, { default: [], uniqueItems: true }),
});
export type AgentAssignment = Static<typeof AgentAssignment>;

export const SiteFile = Strict({
  site: Strict({
    id: Id,
    name: Type.String({ minLength: 1 }),
    timezone: Type.String({ minLength: 1 }),
    /** Grid market and settlement point for power prices. */
    market: Strict({ iso: Type.String(), settlementPoint: Type.String() }),
    /** Interconnection import limit, MW. */
    importLimitMw: Type.Number({ exclusiveMinimum: 0 }),
    /** Pool fee as a fraction, e.g. 0.02. */
    poolFee: Type.Number({ minimum: 0, maximum: 0.2, default: 0.02 }),
  }),
  blocks: Type.Array(Block, { minItems: 1 }),
  meters: Type.Array(MeterRef, { default: [] }),
  snmpDevices: Type.Array(SnmpDeviceRef, { default: [] }),
  gpuHosts: Type.Array(GpuHostRef, { default: [] }),
  contracts: Type.Array(Contract, { default: [] }),
  debt: Type.Array(DebtInstrument, { default: [] }),
  dispatch: Type.Optional(DispatchSettings),
  curtailment: Type.Optional(CurtailmentSettings),
  livePrices: Type.Optional(LivePricesSettings),
  /** Switched PDUs and relays that cut groups of miners (emergency hard cuts). */
  actuators: Type.Optional(Actuators),
  /** Device ownership per agent; absent: one agent holds every device. */
  agents: Type.Optional(Type.Array(AgentAssignment, { minItems: 1 })),
});
export type SiteFile = Static<typeof SiteFile>;
