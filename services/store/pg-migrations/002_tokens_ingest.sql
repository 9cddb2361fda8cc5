-- API tokens and the ingest ledger in PostgreSQL (SQLite: migrations 002 and 001). Only the
-- SHA-256 of a token's secret is stored. Token changes are written to audit_log (001) in the
-- same transaction by services/api/auth/pg-token-records.ts.
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'finance', 'admin', 'agent')),
  secretSha256 TEXT NOT NULL UNIQUE CHECK (length(secretSha256) = 64),
  createdAtMs  BIGINT NOT NULL,
  lastUsedAtMs BIGINT,
  revokedAtMs  BIGINT
);
CREATE INDEX api_tokens_role_active ON api_tokens (role, name) WHERE revokedAtMs IS NULL;

-- Agent batches already applied (services/telemetry/pg-ingest-ledger.ts): shared by every
-- control-plane instance, so a batch replayed to another instance is not applied twice.
CREATE TABLE agent_batches_seen (
  agentId  TEXT NOT NULL,
  seq      BIGINT NOT NULL,
  seenAtMs BIGINT NOT NULL,
  PRIMARY KEY (agentId, seq)
);
CREATE INDEX agent_batches_seen_at ON agent_batches_seen (seenAtMs);
