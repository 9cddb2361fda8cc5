-- What-if Monte Carlo runs (simulations/finance/service.ts), saved as named scenarios: the
-- scenario as validated (defaults filled), the run's size and seed, its progress while it
-- runs, and its result (SimulationResult JSON) when done. A run is cancelled by setting
-- cancelRequested; the job checks it between path blocks, whichever process runs it.
CREATE TABLE simulations (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  paths           INTEGER NOT NULL CHECK (paths > 0),
  seed            INTEGER NOT NULL,
  scenario        TEXT NOT NULL CHECK (json_valid(scenario)),
  donePaths       INTEGER NOT NULL DEFAULT 0,
  cancelRequested INTEGER NOT NULL DEFAULT 0,
  createdAtMs     INTEGER NOT NULL,
  startedAtMs     INTEGER,
  finishedAtMs    INTEGER,
  error           TEXT,
  result          TEXT CHECK (result IS NULL OR json_valid(result))
);
CREATE INDEX simulations_created ON simulations (createdAtMs);
