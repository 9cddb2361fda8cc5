-- Curtailment events (services/curtailment/engine.ts): the settlement record as JSON, with
-- its status in a column so active events are found after a restart.
CREATE TABLE curtailment_events (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL,
  externalId  TEXT UNIQUE,
  createdAtMs INTEGER NOT NULL,
  updatedAtMs INTEGER NOT NULL,
  -- What the engine needs to resume the event: priority, end time, restore params.
  control     TEXT NOT NULL CHECK (json_valid(control)),
  record      TEXT NOT NULL CHECK (json_valid(record))
);
CREATE INDEX curtailment_events_status ON curtailment_events (status);
