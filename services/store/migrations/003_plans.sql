-- Dispatch plans as computed (services/scheduler/plan-service.ts): the latest is served at
-- /api/plan; older ones are kept (bounded) so "what did the plan say at 14:00" has an answer.
CREATE TABLE plans (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  createdAtMs INTEGER NOT NULL,
  trigger     TEXT NOT NULL,
  status      TEXT NOT NULL,
  marginUsd   REAL,
  error       TEXT,
  report      TEXT CHECK (report IS NULL OR json_valid(report))
);
CREATE INDEX plans_created ON plans (createdAtMs);
