-- Gavel schema, version 2: the catalog replicas share (docs/billing.md, "PostgreSQL store").
-- One row: the whole gavel.v1.Catalog (protobuf binary) and a version counter that every admin
-- write or reload increments in the same transaction. Replicas poll the version and rebuild their
-- serving snapshot when it moves. Citus: a reference table.
CREATE TABLE catalog (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL,
  body bytea NOT NULL,
  updated_at bigint NOT NULL  -- unix microseconds of the writing replica's clock
);
