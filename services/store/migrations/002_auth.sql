-- API tokens. Only the SHA-256 of a secret is stored; the secret is shown once, at creation.
-- Token changes are also written to audit_log (001_core.sql) by services/api/auth/tokens.ts.
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'finance', 'admin', 'agent')),
  secretSha256 TEXT NOT NULL UNIQUE CHECK (length(secretSha256) = 64),
  createdAtMs  INTEGER NOT NULL,
  lastUsedAtMs INTEGER,
  revokedAtMs  INTEGER
);

CREATE INDEX api_tokens_role_active ON api_tokens (role, name) WHERE revokedAtMs IS NULL;
