-- What-if Monte Carlo runs (SQLite: migration 007; simulations/finance/pg-simulation-records.ts):
-- a run queued at one instance is run by whichever instance's worker takes its job, and a
-- cancel (cancelRequested) reaches it there. Scenario and result are JSON text as written.
CREATE TABLE simulations (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  paths           INTEGER NOT NULL CHECK (paths > 0),
  seed            BIGINT NOT NULL,
  scenario        TEXT NOT NULL,
  donePaths       INTEGER NOT NULL DEFAULT 0,
  cancelRequested BOOLEAN NOT NULL DEFAULT FALSE,
  createdAtMs     BIGINT NOT NULL,
  startedAtMs     BIGINT,
  finishedAtMs    BIGINT,
  error           TEXT,
  result          TEXT
);
CREATE INDEX simulations_created ON simulations (createdAtMs);
