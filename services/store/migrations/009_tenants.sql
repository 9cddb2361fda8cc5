-- Tenant contract ledger (services/tenants/ledger.ts): each contract's terms as validated JSON,
-- and the statements issued, frozen as sent (a statement is re-issued, never edited).
CREATE TABLE tenant_contracts (
  id          TEXT PRIMARY KEY,
  tenantId    TEXT NOT NULL,
  terms       TEXT NOT NULL CHECK (json_valid(terms)),
  updatedAtMs INTEGER NOT NULL
);
CREATE INDEX tenant_contracts_tenant ON tenant_contracts (tenantId);

CREATE TABLE tenant_statements (
  contractId TEXT NOT NULL REFERENCES tenant_contracts (id),
  month      TEXT NOT NULL,
  issuedAtMs INTEGER NOT NULL,
  statement  TEXT NOT NULL CHECK (json_valid(statement)),
  PRIMARY KEY (contractId, month, issuedAtMs)
);
