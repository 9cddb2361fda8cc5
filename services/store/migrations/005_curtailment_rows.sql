-- Curtailment event records as rows (issue 10): the record column kept the whole settlement
-- record (445–715 KB for 3,180 devices) and was rewritten on every save. Now it holds the
-- record's head; timeline entries, device commands and meter samples are rows appended (a
-- device row is updated in place when its ack comes). layout says which form a row is in:
-- 'whole' records written before this migration stay readable as they are.
ALTER TABLE curtailment_events ADD COLUMN layout TEXT NOT NULL DEFAULT 'whole' CHECK (layout IN ('whole', 'rows'));
-- Open while the event may still hold devices: an aborted event stays open until what it shed
-- is put back, so a restart resumes it.
ALTER TABLE curtailment_events ADD COLUMN open INTEGER NOT NULL DEFAULT 0 CHECK (open IN (0, 1));
UPDATE curtailment_events SET open = 1 WHERE status IN ('planned', 'shedding', 'meter-confirmed', 'restoring');
CREATE INDEX curtailment_events_open ON curtailment_events (open);

CREATE TABLE curtailment_timeline (
  eventId TEXT NOT NULL REFERENCES curtailment_events (id),
  seq     INTEGER NOT NULL,
  entry   TEXT NOT NULL CHECK (json_valid(entry)),
  PRIMARY KEY (eventId, seq)
) WITHOUT ROWID;

CREATE TABLE curtailment_devices (
  eventId TEXT NOT NULL REFERENCES curtailment_events (id),
  seq     INTEGER NOT NULL,
  entry   TEXT NOT NULL CHECK (json_valid(entry)),
  PRIMARY KEY (eventId, seq)
) WITHOUT ROWID;

CREATE TABLE curtailment_meter (
  eventId TEXT NOT NULL REFERENCES curtailment_events (id),
  seq     INTEGER NOT NULL,
  atMs    INTEGER NOT NULL,
  loadW   REAL NOT NULL,
  PRIMARY KEY (eventId, seq)
) WITHOUT ROWID;
