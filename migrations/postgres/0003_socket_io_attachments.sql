-- socket.io's PostgreSQL adapter (several instances, CTI_CLUSTER; src/cluster/cluster.ts): a message over
-- NOTIFY's 8000-byte limit travels as a row of this table, which the adapter deletes after 30 s. The
-- adapter's documented table, created here so the service's database user needs no CREATE at run time.
CREATE TABLE IF NOT EXISTS "socket_io_attachments" (
	"id" bigserial UNIQUE,
	"created_at" timestamptz DEFAULT now(),
	"payload" bytea
);
