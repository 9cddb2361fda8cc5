-- Curtailment events as rows (SQLite: migrations 004, 005 and 010; services/curtailment/
-- pg-event-store.ts). The head in curtailment_events; timeline, device commands and meter
-- samples appended as rows. An open event carries a lease: the instance that drives it
-- (leaseOwner, an instance id) until leaseUntilMs, renewed while it drives; another instance
-- takes it over once it expires. externalId is unique: a dispatch received by two instances
-- is one event.
CREATE TABLE curtailment_events (
  id           TEXT PRIMARY KEY,
  status       TEXT NOT NULL,
  externalId   TEXT UNIQUE,
  createdAtMs  BIGINT NOT NULL,
  updatedAtMs  BIGINT NOT NULL,
  control      JSONB NOT NULL,
  record       JSONB NOT NULL,
  open         BOOLEAN NOT NULL DEFAULT FALSE,
  leaseOwner   TEXT,
  leaseUntilMs BIGINT
);
CREATE INDEX curtailment_events_open ON curtailment_events (open) WHERE open;
CREATE INDEX curtailment_events_created ON curtailment_events (createdAtMs);

CREATE TABLE curtailment_timeline (
  eventId TEXT NOT NULL REFERENCES curtailment_events (id),
  seq     INTEGER NOT NULL,
  entry   JSONB NOT NULL,
  PRIMARY KEY (eventId, seq)
);

CREATE TABLE curtailment_devices (
  eventId TEXT NOT NULL REFERENCES curtailment_events (id),
  seq     INTEGER NOT NULL,
  entry   JSONB NOT NULL,
  PRIMARY KEY (eventId, seq)
);

CREATE TABLE curtailment_meter (
  eventId TEXT NOT NULL REFERENCES curtailment_events (id),
  seq     INTEGER NOT NULL,
  atMs    BIGINT NOT NULL,
  loadW   DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (eventId, seq)
);
