#!/bin/bash
# A throw-away PostgreSQL server for the tests and the demo (CTI_DATABASE_URL=postgres://...): a cluster
# of its own (initdb) in one directory, listening on 127.0.0.1 only. Never Debian's main cluster
# (/etc/postgresql/*/main, port 5432): this script neither reads nor starts it.
#   scripts/pg.sh up       create the cluster and start it (already running: nothing to do); prints one
#                          line, the URL: export CTI_TEST_PG_URL=$(bash scripts/pg.sh up)
#   scripts/pg.sh url      print postgres://cti:<password>@127.0.0.1:<port>/postgres (exit 3 when not running)
#   scripts/pg.sh status   print what runs; exit 0 when up, 3 otherwise
#   scripts/pg.sh down     stop it and delete the directory
# Env: CTI_PG_LISTEN (IPv4 addresses, comma-separated, to listen on besides 127.0.0.1, each with its /30
# allowed in pg_hba.conf: the remote-layout sandbox's veth end, `sandbox/pbx.sh net`; default none),
# CTI_PG_PORT (default 55432), CTI_PG_DIR (default /dev/shm/cti-pg-<port>, or /tmp/cti-pg-<port> when
# /dev/shm is small: see default_dir). One run of the tests per server at a time (tests/support/database.ts).
# As root the server runs as the `postgres` OS user (PostgreSQL refuses to run as root); otherwise as the
# current user. Needs the `postgresql` package (scripts/install-deps.sh).
set -euo pipefail

PORT=${CTI_PG_PORT:-55432}
# The default directory is in memory (/dev/shm, a tmpfs) when it has room, on disk (/tmp) otherwise:
# creating a database writes some 300 files, and on this project's VM disk that took 0.4-1.5 s per copy
# against 0.03-0.1 s on tmpfs. A directory that already exists in either place is the one in use.
default_dir() {
  local shm=/dev/shm/cti-pg-$PORT tmp=/tmp/cti-pg-$PORT free_kib
  if [ -e "$shm" ]; then echo "$shm"; return; fi
  if [ -e "$tmp" ]; then echo "$tmp"; return; fi
  # Docker gives a container a 64 MiB /dev/shm: too small. The cluster needs ~50 MiB, its WAL up to
  # max_wal_size (below), each test's database ~10 MiB while it lives.
  free_kib=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
  if [ -w /dev/shm ] && [ "${free_kib:-0}" -ge $((1024 * 1024)) ]; then echo "$shm"; else echo "$tmp"; fi
}
DIR=${CTI_PG_DIR:-$(default_dir)}
DATA=$DIR/data
LOGFILE=$DIR/server.log
PWFILE=$DIR/password             # the `cti` role's password, mode 0600
MARK=$DIR/.cti-pg                # `down` deletes only a directory this script made
HOST=127.0.0.1
ROLE=cti
EXTRA=${CTI_PG_LISTEN:-}
LISTEN=$HOST
HBA_EXTRA=""
if [ -n "$EXTRA" ]; then
  IFS=, read -ra extra_addrs <<<"$EXTRA"
  for a in "${extra_addrs[@]}"; do
    [[ $a =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || { echo "pg: CTI_PG_LISTEN: IPv4 addresses, not '$a'" >&2; exit 1; }
    [ -n "$(ip -o addr show to "$a/32" 2>/dev/null)" ] || { echo "pg: CTI_PG_LISTEN: $a is no address of this machine (yet): sandbox/pbx.sh net makes the sandbox's" >&2; exit 1; }
    LISTEN+=",$a"
    HBA_EXTRA+="host all all ${a%.*}.$(( ${a##*.} & 252 ))/30 scram-sha-256"$'\n'
  done
fi

die() { echo "pg: $*" >&2; exit 1; }

[[ $PORT =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1024 ] && [ "$PORT" -le 65535 ] || die "CTI_PG_PORT: a port 1024-65535, not '$PORT'"
case "$DIR" in /*) ;; *) die "CTI_PG_DIR: an absolute path, not '$DIR'" ;; esac
[ "$DIR" != / ] || die "CTI_PG_DIR: not /"
# The server's unix socket lives in DIR, and a socket path has at most 107 bytes.
[ ${#DIR} -le 80 ] || die "CTI_PG_DIR: at most 80 characters (the server's socket goes in it)"

# The newest installed major version (Debian installs each under /usr/lib/postgresql/<major>/bin).
BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
[ -n "$BIN" ] && [ -x "$BIN/pg_ctl" ] || die "no PostgreSQL server under /usr/lib/postgresql/*/bin (bash scripts/install-deps.sh)"

# Every server-side command runs as the cluster's owner, from a directory that owner can enter.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' OS user (the postgresql package creates it)"
  OWNER=postgres
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  OWNER=$(id -un)
  as_owner() { (cd / && "$@"); }
fi

# The postmaster's pid when it runs from this data directory; nothing otherwise. A postmaster.pid left by a
# killed server (or a reboot) names a dead pid, or one since reused by another program: both are stale.
postmaster_pid() {
  local pid
  [ -f "$DATA/postmaster.pid" ] || return 1
  pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && [ -d "/proc/$pid" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 1
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(readlink -f "$DATA")" ] || return 1   # the postmaster chdirs into its data dir
  echo "$pid"
}

ready() { "$BIN/pg_isready" -q -h "$HOST" -p "$PORT" -t 1; }
running() { postmaster_pid >/dev/null && [ -r "$PWFILE" ]; }

url() { echo "postgres://$ROLE:$(cat "$PWFILE")@$HOST:$PORT/postgres"; }

# Deletes the directory, after a server that still runs from it is stopped. Refuses a directory this
# script did not make (CTI_PG_DIR pointed somewhere else by mistake).
wipe() {
  local pid
  [ -e "$DIR" ] || return 0
  if [ ! -e "$MARK" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    die "$DIR is not empty and was not made by scripts/pg.sh: not deleting it (set CTI_PG_DIR elsewhere)"
  fi
  if pid=$(postmaster_pid); then
    # Throw-away data: an immediate stop (no checkpoint) is enough; the kill is for a server that hangs.
    as_owner "$BIN/pg_ctl" -D "$DATA" -m immediate -t 20 stop >/dev/null 2>&1 || kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  fi
  rm -rf "$DIR"
}

cmd_up() {
  local password
  if running; then
    for _ in $(seq 1 100); do ready && break; sleep 0.1; done
    ready || die "a server runs from $DATA but does not accept connections on $HOST:$PORT (see $LOGFILE)"
    url
    return
  fi
  # Not running: whatever the directory holds (a server killed earlier, a half-made cluster) is stale.
  wipe
  if ready; then die "something else already accepts connections on $HOST:$PORT (set CTI_PG_PORT)"; fi

  mkdir -p "$DIR"
  chmod 0700 "$DIR"
  touch "$MARK"
  [ "$OWNER" = "$(id -un)" ] || chown "$OWNER:" "$DIR" "$MARK"
  password=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
  as_owner bash -c 'umask 077 && cat >"$1"' _ "$PWFILE" <<<"$password"

  # C.UTF-8: UTF-8 text that sorts by code point, as SQLite's BINARY collation does, on every machine.
  as_owner "$BIN/initdb" -D "$DATA" -U "$ROLE" --pwfile="$PWFILE" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions >"$DIR/initdb.log" 2>&1 ||
    { tail -n 20 "$DIR/initdb.log" >&2; die "initdb failed (log: $DIR/initdb.log)"; }

  # Later settings in postgresql.conf win over initdb's.
  as_owner bash -c 'cat >>"$1"' _ "$DATA/postgresql.conf" <<EOF

# --- scripts/pg.sh ---
listen_addresses = '$LISTEN'              # loopback only unless CTI_PG_LISTEN names more
port = $PORT
unix_socket_directories = '$DIR'        # not /var/run/postgresql (Debian's main cluster's)
password_encryption = 'scram-sha-256'
# ~8 parallel test workers, each with its own app and pool, plus the template copies: room to spare.
max_connections = 300
# THROW-AWAY TEST CLUSTER ONLY: a crash may lose or corrupt all of its data, which is fine here (pg.sh down
# deletes it anyway) and buys speed. A production server must keep the defaults (all on).
fsync = off
synchronous_commit = off
full_page_writes = off
# The WAL stays small (the default allows 1 GB, which on tmpfs is memory): checkpoints are cheap here.
max_wal_size = 256MB
EOF

  [ -z "$HBA_EXTRA" ] || as_owner bash -c 'printf "%s" "$2" >>"$1"' _ "$DATA/pg_hba.conf" "$HBA_EXTRA"

  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start >/dev/null ||
    { tail -n 20 "$LOGFILE" >&2 2>/dev/null || true; die "the server did not start (log: $LOGFILE)"; }
  for _ in $(seq 1 300); do ready && break; sleep 0.1; done
  ready || { tail -n 20 "$LOGFILE" >&2; die "the server does not accept connections on $HOST:$PORT (log: $LOGFILE)"; }
  url
}

cmd_url() {
  running || { echo "pg: not running (bash scripts/pg.sh up)" >&2; exit 3; }
  url
}

cmd_status() {
  local pid
  if pid=$(postmaster_pid) && [ -r "$PWFILE" ] && ready; then
    echo "pg: running, PostgreSQL $("$BIN/postgres" -V | awk '{print $3}'), pid $pid, $HOST:$PORT, dir $DIR"
    return 0
  fi
  if [ -e "$DATA" ]; then echo "pg: not running (stale directory $DIR; 'up' starts afresh)"; else echo "pg: not running"; fi
  return 1
}

cmd_down() {
  wipe
  echo "pg: down ($DIR deleted)" >&2
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  url) cmd_url ;;
  status) if cmd_status; then exit 0; else exit 3; fi ;;
  *) echo "usage: $0 up|down|url|status" >&2; exit 2 ;;
esac
