-- Audit log of control actions (services/api/audit/): who (actor: a token id, or cli:<user>),
-- what (action, detail), when (atMs), from where (the client's address and user agent), and
-- how it ended (outcome: the HTTP status, or "ok" for a local CLI action). Rows are only ever
-- added. The token store's own rows (token.create, token.revoke) keep these columns NULL
-- except when the CLI fills them.
ALTER TABLE audit_log ADD COLUMN actorName TEXT;
ALTER TABLE audit_log ADD COLUMN actorRole TEXT;
ALTER TABLE audit_log ADD COLUMN fromAddr  TEXT;
ALTER TABLE audit_log ADD COLUMN userAgent TEXT;
ALTER TABLE audit_log ADD COLUMN outcome   TEXT;
ALTER TABLE audit_log ADD COLUMN requestId TEXT;
CREATE INDEX audit_log_actor_at ON audit_log (actor, atMs);

-- Append-only: the audit trail is evidence; the database refuses to change or drop a row.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log rows are append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log rows are append-only'); END;
