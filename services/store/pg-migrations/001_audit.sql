-- The audit log in PostgreSQL (the same columns as SQLite's audit_log, migrations 001 + 008).
-- Append-only: a trigger refuses UPDATE and DELETE.
CREATE TABLE audit_log (
  id        BIGSERIAL PRIMARY KEY,
  atMs      BIGINT NOT NULL,
  actor     TEXT NOT NULL,
  actorName TEXT,
  actorRole TEXT,
  action    TEXT NOT NULL,
  detail    JSONB NOT NULL DEFAULT '{}'::jsonb,
  fromAddr  TEXT,
  userAgent TEXT,
  outcome   TEXT,
  requestId TEXT
);
CREATE INDEX audit_log_at ON audit_log (atMs);
CREATE INDEX audit_log_action_at ON audit_log (action, atMs);
CREATE INDEX audit_log_actor_at ON audit_log (actor, atMs);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log rows are append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
