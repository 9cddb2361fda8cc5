-- Core records. Times are UTC milliseconds; column names match the TypeScript that reads them.

-- Site-wide settings, one value per key (the caller encodes; JSON by convention).
CREATE TABLE settings (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updatedAtMs INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
);

-- Who did what, when: operator actions, curtailment commands, token changes.
CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  atMs   INTEGER NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
);
CREATE INDEX audit_log_at ON audit_log (atMs);
CREATE INDEX audit_log_action_at ON audit_log (action, atMs);

-- Agent batches already applied, so a batch replayed from an agent's store-and-forward queue
-- is acknowledged without being applied twice (services/telemetry/ingest-ledger.ts).
CREATE TABLE agent_batches_seen (
  agentId  TEXT NOT NULL,
  seq      INTEGER NOT NULL,
  seenAtMs INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
  PRIMARY KEY (agentId, seq)
) WITHOUT ROWID;
