-- The realised margin ledger (services/finance/ledger-store.ts): one row per block per period,
-- a UTC day (periodHours 24, final once the day is over, provisional while it runs) or an hour
-- of the current day (periodHours 1). Recomputing a period replaces its row. Per-MW and per-MWh
-- figures are derived on read from marginUsd, capacityMw and meteredMwh.
CREATE TABLE finance_ledger (
  siteId               TEXT NOT NULL,
  blockId              TEXT NOT NULL,
  periodStartMs        INTEGER NOT NULL,
  periodHours          INTEGER NOT NULL CHECK (periodHours IN (1, 24)),
  status               TEXT NOT NULL CHECK (status IN ('final', 'provisional')),
  contractId           TEXT,
  hoursMeasured        INTEGER NOT NULL,
  capacityMw           REAL NOT NULL,
  meteredMwh           REAL NOT NULL,
  hashratePhs          REAL,
  hashpriceUsdPerPhDay REAL NOT NULL,
  btcEarned            REAL,
  miningRevenueUsd     REAL NOT NULL,
  aiRentUsd            REAL NOT NULL,
  slaCreditUsd         REAL NOT NULL,
  passThroughUsd       REAL NOT NULL,
  aiRevenueUsd         REAL NOT NULL,
  energyCostUsd        REAL NOT NULL,
  creditsUsd           REAL NOT NULL,
  restartCostUsd       REAL NOT NULL,
  marginUsd            REAL NOT NULL,
  computedAtMs         INTEGER NOT NULL,
  PRIMARY KEY (siteId, blockId, periodHours, periodStartMs)
) WITHOUT ROWID;
CREATE INDEX finance_ledger_period ON finance_ledger (periodHours, periodStartMs);
