-- Dispatch plans as computed (SQLite: migration 003), written by whichever instance ran the
-- plan job (services/scheduler/pg-plan-records.ts).
CREATE TABLE plans (
  id          BIGSERIAL PRIMARY KEY,
  createdAtMs BIGINT NOT NULL,
  trigger     TEXT NOT NULL,
  status      TEXT NOT NULL,
  marginUsd   DOUBLE PRECISION,
  error       TEXT,
  report      JSONB
);
CREATE INDEX plans_created ON plans (createdAtMs);
