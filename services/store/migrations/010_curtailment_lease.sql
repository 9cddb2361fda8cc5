-- The lease of an open curtailment event (services/curtailment/event-store.ts): which
-- control-plane instance drives it, until when. With SQLite one instance owns the file; the
-- columns keep the store's contract the same as PostgreSQL's (pg-migrations/004).
ALTER TABLE curtailment_events ADD COLUMN leaseOwner TEXT;
ALTER TABLE curtailment_events ADD COLUMN leaseUntilMs INTEGER;
