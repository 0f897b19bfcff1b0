-- Asterisk's event log (cel_pgsql) and CDR (cdr_pgsql) in a PostgreSQL the CTI service reaches too, for a
-- PBX on another host (docs/remote-pbx.md). Run as the database's owner, BEFORE Asterisk starts: cel_pgsql
-- and cdr_pgsql read the table's columns once, when the module loads (cel/cel_pgsql.c,
-- process_my_load_module), and write only the columns they found then.
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v asterisk_role=asterisk -v asterisk_password=... \
--        -v reader_role=cti_cel -v reader_password=... -f docs/asterisk-pgsql.sql
-- Idempotent: run again after an upgrade, or to set new passwords.
--
-- Rights: Asterisk may only INSERT into cel and cdr (and draw their ids); it can read, change or delete
-- nothing, not even its own rows. The service's role may only SELECT from cel. Neither owns anything.

-- Every text column is text, never varchar(N) as Asterisk's contrib schema has it: the caller ID name and
-- number come from the trunk and channel names grow with Local channels, and PostgreSQL refuses a whole row
-- with one value longer than its varchar ("value too long for type character varying(80)"), so cel_pgsql
-- would drop that event and the call would be logged without it. cel_pgsql quotes any column that is not
-- int or float (cel_pgsql.c), so text takes what varchar took.
CREATE TABLE IF NOT EXISTS cel (
  id          bigserial PRIMARY KEY,          -- the reader's position: cel_pgsql inserts in event order
  eventtype   text NOT NULL,                  -- CHAN_START, ..., USER_DEFINED (cel_pgsql.conf show_user_defined = yes)
  eventtime   double precision NOT NULL,      -- seconds.microseconds (a float column: no time zone to get wrong)
  cid_name    text NOT NULL DEFAULT '',
  cid_num     text NOT NULL DEFAULT '',
  cid_ani     text NOT NULL DEFAULT '',
  cid_rdnis   text NOT NULL DEFAULT '',
  cid_dnid    text NOT NULL DEFAULT '',
  exten       text NOT NULL DEFAULT '',
  context     text NOT NULL DEFAULT '',
  channame    text NOT NULL DEFAULT '',
  appname     text NOT NULL DEFAULT '',
  appdata     text NOT NULL DEFAULT '',
  amaflags    integer NOT NULL DEFAULT 0,
  accountcode text NOT NULL DEFAULT '',
  peeraccount text NOT NULL DEFAULT '',
  uniqueid    text NOT NULL DEFAULT '',
  linkedid    text NOT NULL DEFAULT '',
  userfield   text NOT NULL DEFAULT '',
  peer        text NOT NULL DEFAULT '',
  userdeftype text NOT NULL DEFAULT '',
  extra       text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS cel_linkedid_idx ON cel (linkedid);

-- cdr_pgsql: one row per CDR, as Asterisk's CDR engine closes it. The CTI service does not read it; a
-- report tool, or the sandbox's tests as their oracle, may (start, answer and end as epoch seconds).
CREATE TABLE IF NOT EXISTS cdr (
  id          bigserial PRIMARY KEY,
  start       double precision NOT NULL DEFAULT 0,
  answer      double precision NOT NULL DEFAULT 0,   -- 0: never answered
  "end"       double precision NOT NULL DEFAULT 0,
  clid        text NOT NULL DEFAULT '',
  src         text NOT NULL DEFAULT '',
  dst         text NOT NULL DEFAULT '',
  dcontext    text NOT NULL DEFAULT '',
  channel     text NOT NULL DEFAULT '',
  dstchannel  text NOT NULL DEFAULT '',
  lastapp     text NOT NULL DEFAULT '',
  lastdata    text NOT NULL DEFAULT '',
  duration    integer NOT NULL DEFAULT 0,
  billsec     integer NOT NULL DEFAULT 0,
  disposition text NOT NULL DEFAULT '',
  amaflags    integer NOT NULL DEFAULT 0,
  accountcode text NOT NULL DEFAULT '',
  uniqueid    text NOT NULL DEFAULT '',
  linkedid    text NOT NULL DEFAULT '',
  userfield   text NOT NULL DEFAULT '',
  peeraccount text NOT NULL DEFAULT '',
  sequence    integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS cdr_linkedid_idx ON cdr (linkedid);

-- Tables made by an earlier version of this file (or from Asterisk's contrib schema): their varchar columns
-- become text. Binary-compatible in PostgreSQL: no rewrite, and Asterisk, which reads the types at load,
-- needs no restart (it quotes both alike).
SELECT format('ALTER TABLE %I ALTER COLUMN %I TYPE text', c.table_name, c.column_name)
  FROM information_schema.columns c
 WHERE c.table_schema = current_schema() AND c.table_name IN ('cel', 'cdr') AND c.data_type = 'character varying' \gexec

-- The roles: log in with a password (scram-sha-256), nothing else.
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', :'asterisk_role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'asterisk_role') \gexec
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', :'reader_role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'reader_role') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'asterisk_role', :'asterisk_password') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'reader_role', :'reader_password') \gexec

-- Nobody but the owner may create anything in the schema (PostgreSQL 15 has this as its default already).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('GRANT CONNECT ON DATABASE %I TO %I, %I', current_database(), :'asterisk_role', :'reader_role') \gexec
SELECT format('GRANT USAGE ON SCHEMA public TO %I, %I', :'asterisk_role', :'reader_role') \gexec

-- Asterisk: INSERT only (the ids' sequences: USAGE is what nextval() needs). No SELECT: cel_pgsql reads
-- the columns from the catalogue (pg_attribute), which every role may read, never from the table.
SELECT format('REVOKE ALL ON cel, cdr FROM %I', :'asterisk_role') \gexec
SELECT format('GRANT INSERT ON cel, cdr TO %I', :'asterisk_role') \gexec
SELECT format('GRANT USAGE ON SEQUENCE cel_id_seq, cdr_id_seq TO %I', :'asterisk_role') \gexec

-- The CTI service: reads the event log, nothing else.
SELECT format('REVOKE ALL ON cel, cdr FROM %I', :'reader_role') \gexec
SELECT format('GRANT SELECT ON cel TO %I', :'reader_role') \gexec
