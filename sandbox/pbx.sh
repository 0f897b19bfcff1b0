#!/bin/bash
# CTI PBX sandbox: Asterisk 22 (Debian sid chroot) + baresip test phones, all on 127.0.0.1.
#   sandbox/pbx.sh up       build the chroot once, render config, start Asterisk and phones
#   sandbox/pbx.sh down     stop everything this script started, unmount proc
#   sandbox/pbx.sh status   print what runs; exit 0 when all is up, 3 otherwise
# State: ${CTI_PBX_DIR:-<project>/.pbx} (root/ = chroot, run/ = pids + logs, sandbox.env, secrets.env).
# Env for `up`: CTI_RING_TIMEOUT (seconds a phone rings, default 10).
#   CTI_SANDBOX_PHONE_CALLS: calls each desk phone takes at once (baresip call_max_calls, default 4, at
#   most 99); above 8 each phone gets an RTP range of its own above 30000 and Asterisk's grows to match
#   (bench/calls.ts: many concurrent real calls on three phones).
#   CTI_PBX_PROFILE=freepbx: a dialplan shaped like FreePBX 17's generated one (sandbox/freepbx/, see
#   sandbox/SCENARIOS.md "FreePBX profile") instead of ours (default: the shipped dialplan/*.conf).
#   CTI_PBX_NETNS=<name>: run Asterisk and the phones in a network namespace of that name, created here
#   (loopback + a placeholder veth vmnet0 for WebRTC's ICE, see sandbox/asterisk/rtp.conf) and deleted
#   by `down`. Browser phones (WebRTC) need it; whatever talks to this PBX then runs under
#   `ip netns exec <name>` (its own 127.0.0.1, so the ports do not clash with a host-netns sandbox).
#   CTI_PBX_REMOTE=1 (with CTI_PBX_NETNS): the PBX on another host (docs/remote-pbx.md). A veth pair joins
#   the namespace (10.200.<n>.2, n from the offset) to this one (10.200.<n>.1); AMI, ARI and the
#   recordings server (nginx, docs/asterisk-recordings.nginx.conf, mutual TLS with a CA made here) listen
#   on 10.200.<n>.2 only, and Asterisk writes its CEL and CDR into PostgreSQL (cel_pgsql, cdr_pgsql) at
#   CTI_PBX_PG_URL (an admin URL, e.g. scripts/pg.sh's, listening on 10.200.<n>.1 too: see `net`).
#   sandbox.env then names no file of the PBX's for the service to read.
#   sandbox/pbx.sh net   (remote only) create the namespace and veth now and print 10.200.<n>.1, for a
#                        PostgreSQL to listen on before `up`: CTI_PG_LISTEN=$(sandbox/pbx.sh net) scripts/pg.sh up
# Needs root and the host packages of scripts/install-deps.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/.." && pwd)
PBX=${CTI_PBX_DIR:-$PROJECT/.pbx}
R=$PBX/root
RUN=$PBX/run
ETC_IN=/etc/cti-sandbox
ETC=$R$ETC_IN
AST=(chroot "$R" /usr/sbin/asterisk -C "$ETC_IN/asterisk.conf")
NS=${CTI_PBX_NETNS:-}
NSX=()                                   # prefix that runs a command in the sandbox's network namespace
[ -n "$NS" ] && NSX=(ip netns exec "$NS")
ICE_PLACEHOLDER=198.51.100.7             # documentation address on vmnet0; rtp.conf maps it to 127.0.0.1
REMOTE=${CTI_PBX_REMOTE:-}
case "$REMOTE" in ''|0) REMOTE= ;; 1) ;; *) echo "pbx: CTI_PBX_REMOTE: 1 or unset, not $REMOTE" >&2; exit 2 ;; esac

# CTI_PBX_PORT_OFFSET (default 0) moves every port, so two sandboxes (two CTI_PBX_DIRs) can run at once.
OFF=${CTI_PBX_PORT_OFFSET:-0}
AMI_PORT=$((15038 + OFF))
HTTP_PORT=$((18088 + OFF))
SIP_PORT=$((15060 + OFF))
RTP_START=$((20000 + OFF))
PHONES=(101 102 103 198)         # baresip instances (registered)
BUSY_EXT=199                     # sandbox/busy-phone.mjs at a static contact
BUSY_PORT=$((25050 + OFF))
RING_TIMEOUT=${CTI_RING_TIMEOUT:-10}
PHONE_CALLS=${CTI_SANDBOX_PHONE_CALLS:-4}
[[ $PHONE_CALLS =~ ^[0-9]+$ ]] && [ "$PHONE_CALLS" -ge 1 ] && [ "$PHONE_CALLS" -le 99 ] || { echo "pbx: CTI_SANDBOX_PHONE_CALLS: 1 to 99, not $PHONE_CALLS" >&2; exit 2; }
# Asterisk's RTP ports: 200 (100 calls to phones), or 2 per call the three answering phones can take, and room to spare.
RTP_END=$((RTP_START + (PHONE_CALLS > 30 ? 6 * PHONE_CALLS + 19 : 199)))
PROFILE=${CTI_PBX_PROFILE:-default}
case "$PROFILE" in default|freepbx) ;; *) echo "pbx: CTI_PBX_PROFILE: default or freepbx, not $PROFILE" >&2; exit 2 ;; esac
if [ -n "$REMOTE" ]; then
  [ -n "$NS" ] || { echo "pbx: CTI_PBX_REMOTE=1 needs CTI_PBX_NETNS=<name> (the PBX's own network namespace)" >&2; exit 2; }
  [ "$PROFILE" = default ] || { echo "pbx: CTI_PBX_REMOTE=1: the default profile only" >&2; exit 2; }
fi
layout() { if [ -n "$REMOTE" ]; then echo remote; else echo local; fi; }

REC_PORT=$((18443 + OFF))        # the recordings server (remote layout)
# Remote layout: a /30 of its own per offset, so two sandboxes can run at once.
NET_N=$((OFF % 250 + 1))
HOST_ADDR=10.200.$NET_N.1        # this namespace's end of the veth (the service's side)
PBX_ADDR=10.200.$NET_N.2         # the PBX's end: AMI, ARI, recordings
VETH_HOST=ctih$OFF
VETH_PBX=ctip$OFF
BIND=127.0.0.1                   # where AMI and ARI listen
PHONE_CTRL_HOST=127.0.0.1        # where the phones' ctrl_tcp listens (the tests drive them)
if [ -n "$REMOTE" ]; then BIND=$PBX_ADDR; PHONE_CTRL_HOST=$PBX_ADDR; fi
TLS=$PBX/tls                     # remote layout: the recordings server's CA, its certificate, the service's

ctrl_port() { echo $((44000 + OFF + $1)); }   # 101 -> 44101
sip_port()  { echo $((25000 + OFF + $1 * 10)); }   # phone index 1 -> 25010 (baresip also takes +1 for TLS)
rtp_ports() {   # index 1 -> 20220-20239 (10 calls); with CTI_SANDBOX_PHONE_CALLS > 8, 2 ports a call above 30000 + 10 x offset
  local i=$1
  if [ "$PHONE_CALLS" -le 8 ]; then echo "$((20200 + OFF + i * 20))-$((20200 + OFF + i * 20 + 19))"
  else echo "$((30000 + OFF * 10 + i * 200))-$((30000 + OFF * 10 + i * 200 + 2 * PHONE_CALLS + 1))"; fi
}

log() { echo "pbx: $*"; }
die() { echo "pbx: $*" >&2; exit 1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
ast_rx() { "${AST[@]}" -rx "$1" 2>/dev/null; }

# (no `cmd | grep -q` anywhere: with pipefail, grep -q exiting early turns the writer's SIGPIPE into a failure)
registered() {  # $1 = ext; $2 = output of 'pjsip show contacts' (fetched when absent)
  local out=${2-$(ast_rx 'pjsip show contacts' || true)}
  [[ $out =~ Contact:\ +$1/sip: ]]
}

asterisk_up() { pid_alive "$RUN/asterisk.pid" && ast_rx 'core waitfullybooted' >/dev/null; }

# ------------------------------------------------------------------ chroot
build_root() {
  [ -x "$R/usr/sbin/asterisk" ] && return 0
  command -v mmdebstrap >/dev/null || die "mmdebstrap missing: run scripts/install-deps.sh"
  local tmp="$PBX/root.build"
  rm -rf "$tmp" "$R"
  mkdir -p "$RUN"
  log "building Debian sid chroot with Asterisk (about 30 s; log in $RUN/mmdebstrap.log)"
  mmdebstrap --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
    --include=asterisk,asterisk-modules,asterisk-core-sounds-en \
    sid "$tmp" >"$RUN/mmdebstrap.log" 2>&1 || { tail -20 "$RUN/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
  mv "$tmp" "$R"
}

# ------------------------------------------------------------------ network namespace (CTI_PBX_NETNS)
netns_exists() { [ -e "/run/netns/$1" ]; }

netns_up() {
  [ -n "$NS" ] || return 0
  [[ $NS =~ ^[A-Za-z0-9_-]{1,32}$ ]] || die "CTI_PBX_NETNS: 1 to 32 letters, digits, - or _"
  netns_exists "$NS" || ip netns add "$NS"
  echo "$NS" >"$RUN/netns"
  ip -n "$NS" link set lo up
  # Asterisk never offers a 127.0.0.0/8 ICE candidate: give it an interface whose address rtp.conf maps
  # to 127.0.0.1. A veth (this kernel may lack the dummy module), named vmnet0 so Chromium ignores it.
  if ! ip -n "$NS" link show vmnet0 >/dev/null 2>&1; then
    ip -n "$NS" link add vmnet0 type veth peer name vmnet1
    "${NSX[@]}" sysctl -qw net.ipv6.conf.vmnet0.disable_ipv6=1 net.ipv6.conf.vmnet1.disable_ipv6=1
    ip -n "$NS" addr add "$ICE_PLACEHOLDER/32" dev vmnet0
    ip -n "$NS" link set vmnet1 up
    ip -n "$NS" link set vmnet0 up
  fi
  [ -n "$REMOTE" ] || return 0
  # The PBX on another host: a veth pair, one end here, one in the namespace (deleted with it).
  # A host end whose peer is not in this namespace is left from an earlier run (a namespace of
  # another name, a machine that kept its kernel state): delete it and make the pair anew.
  if ip link show "$VETH_HOST" >/dev/null 2>&1 && ! ip -n "$NS" link show "$VETH_PBX" >/dev/null 2>&1; then
    log "deleting $VETH_HOST, left from an earlier run (its peer is not in $NS)" >&2
    ip link del "$VETH_HOST"
  fi
  if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
    ip link add "$VETH_HOST" type veth peer name "$VETH_PBX" netns "$NS"
    sysctl -qw "net.ipv6.conf.$VETH_HOST.disable_ipv6=1"
    "${NSX[@]}" sysctl -qw "net.ipv6.conf.$VETH_PBX.disable_ipv6=1"
  fi
  ip addr replace "$HOST_ADDR/30" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
  ip -n "$NS" addr replace "$PBX_ADDR/30" dev "$VETH_PBX"
  ip -n "$NS" link set "$VETH_PBX" up
}

netns_down() {  # deletes the namespace `up` recorded (whatever CTI_PBX_NETNS says now)
  local ns
  [ -f "$RUN/netns" ] || return 0
  ns=$(cat "$RUN/netns")
  if [ -n "$ns" ] && netns_exists "$ns"; then ip netns del "$ns" || true; fi
  rm -f "$RUN/netns"
}

# ------------------------------------------------------------------ secrets + config
secrets() {
  if [ ! -s "$PBX/secrets.env" ]; then
    local gen='od -An -N16 -tx1 /dev/urandom | tr -d " \n"'
    umask 077
    {
      echo "CTI_AMI_SECRET=$(eval "$gen")"
      echo "CTI_ARI_PASSWORD=$(eval "$gen")"
      echo "CTI_SANDBOX_AMI_SECRET=$(eval "$gen")"
      echo "CTI_PHONE_SECRET=$(eval "$gen")"
    } >"$PBX/secrets.env"
    umask 022
  fi
  # Browser phones' SIP passwords derive from it (src/softphone); added to older sandboxes too.
  if ! grep -q '^CTI_SIP_SECRET=' "$PBX/secrets.env"; then
    echo "CTI_SIP_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >>"$PBX/secrets.env"
  fi
  # The remote layout's PostgreSQL roles (docs/asterisk-pgsql.sql): Asterisk's (INSERT only) and the service's (SELECT).
  local k
  for k in CTI_PBX_PG_ASTERISK_PASSWORD CTI_PBX_PG_READER_PASSWORD; do
    grep -q "^$k=" "$PBX/secrets.env" || echo "$k=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >>"$PBX/secrets.env"
  done
  # shellcheck disable=SC1091
  . "$PBX/secrets.env"
}

render() {  # $1 source file, $2 destination; substitutes only the sandbox's own placeholders
  sed -e "s|\${CTI_AMI_SECRET}|$CTI_AMI_SECRET|g" \
      -e "s|\${CTI_ARI_PASSWORD}|$CTI_ARI_PASSWORD|g" \
      -e "s|\${CTI_SANDBOX_AMI_SECRET}|$CTI_SANDBOX_AMI_SECRET|g" \
      -e "s|\${CTI_PHONE_SECRET}|$CTI_PHONE_SECRET|g" \
      -e "s|\${CTI_SANDBOX_RING_TIMEOUT}|$RING_TIMEOUT|g" \
      -e "s|\${CTI_BUSY_PHONE_PORT}|$BUSY_PORT|g" \
      -e "s|\${CTI_SANDBOX_AMI_PORT}|$AMI_PORT|g" \
      -e "s|\${CTI_SANDBOX_HTTP_PORT}|$HTTP_PORT|g" \
      -e "s|\${CTI_SANDBOX_SIP_PORT}|$SIP_PORT|g" \
      -e "s|\${CTI_SANDBOX_RTP_START}|$RTP_START|g" \
      -e "s|\${CTI_SANDBOX_RTP_END}|$RTP_END|g" \
      "$1" >"$2"
}

render_config() {
  rm -rf "$ETC"
  mkdir -p "$ETC"
  local f
  if [ "$PROFILE" = freepbx ]; then
    render_freepbx
  else
    for f in "$HERE"/asterisk/*.conf "$PROJECT"/dialplan/*.conf; do
      render "$f" "$ETC/$(basename "$f")"
    done
  fi
  [ -z "$REMOTE" ] || render_remote
  chmod 600 "$ETC"/*.conf
  mkdir -p "$R/var/spool/asterisk/monitor/cti" "$R/var/log/asterisk/cdr-custom" \
           "$R/var/log/asterisk/cdr-csv" "$R/var/log/asterisk/cel-custom" "$R/var/run/asterisk" "$R/var/lib/asterisk"
}

# ------------------------------------------------------------------ the remote layout (CTI_PBX_REMOTE=1)
# AMI and ARI on the PBX's veth address, reachable from this namespace's end only (the AMI users' permit);
# cel_pgsql and cdr_pgsql into PostgreSQL across the veth (docs/asterisk-pgsql.sql made the tables).
render_remote() {
  sed -i "s|^bindaddr = 127.0.0.1\$|bindaddr = $BIND|" "$ETC/manager.conf" "$ETC/http.conf"
  sed -i "s|^permit = 127.0.0.1/255.255.255.255\$|&\npermit = $HOST_ADDR/255.255.255.255|" "$ETC/manager.conf" "$ETC/manager_cti.conf"
  sed -i -e '/^noload = cel_pgsql.so$/d' -e '/^noload = cdr_pgsql.so$/d' "$ETC/modules.conf"
  local f
  for f in "manager.conf:bindaddr = $BIND" "http.conf:bindaddr = $BIND" "manager_cti.conf:permit = $HOST_ADDR/" "manager.conf:permit = $HOST_ADDR/"; do
    grep -q "^${f#*:}" "$ETC/${f%%:*}" || die "remote layout: ${f%%:*} has no '${f#*:}' (its 127.0.0.1 line changed?)"
  done
  if grep -q '^noload = cel_pgsql.so$' "$ETC/modules.conf"; then die "remote layout: cel_pgsql is still off in modules.conf"; fi
  # cel/cel_pgsql.c: show_user_defined writes USER_DEFINED in eventtype (else the event's own name goes
  # there); usegmtime only matters for a timestamp column (ours is a float: seconds, as the CEL file has).
  cat >"$ETC/cel_pgsql.conf" <<EOF
[global]
hostname = $HOST_ADDR
port = $PG_PORT
dbname = $PG_DB
user = $PG_ASTERISK_ROLE
password = $CTI_PBX_PG_ASTERISK_PASSWORD
appname = asterisk-cel
table = cel
show_user_defined = yes
usegmtime = yes
EOF
  cat >"$ETC/cdr_pgsql.conf" <<EOF
[global]
hostname = $HOST_ADDR
port = $PG_PORT
dbname = $PG_DB
user = $PG_ASTERISK_ROLE
password = $CTI_PBX_PG_ASTERISK_PASSWORD
appname = asterisk-cdr
table = cdr
encoding = UTF8
EOF
}

# The database Asterisk writes into, made before Asterisk starts (cel_pgsql reads its columns at load).
PG_URL=${CTI_PBX_PG_URL:-}
PG_PORT=""
PG_DB=asterisk_pbx$OFF
PG_ASTERISK_ROLE=asterisk_pbx$OFF
PG_READER_ROLE=cti_cel_pbx$OFF
PG_READER_URL=""
pg_setup() {
  command -v psql >/dev/null || die "psql missing: run scripts/install-deps.sh"
  [ -n "$PG_URL" ] || die "CTI_PBX_REMOTE=1 needs CTI_PBX_PG_URL: a PostgreSQL admin URL (CTI_PG_LISTEN=\$(sandbox/pbx.sh net) scripts/pg.sh up prints one)"
  [[ $PG_URL =~ ^postgres(ql)?://([^@/]+)@([^:/]+):([0-9]+)/([^/?]*)$ ]] || die "CTI_PBX_PG_URL: postgres://user:password@host:port/database"
  PG_PORT=${BASH_REMATCH[4]}
  local server=${PG_URL%/*} exists
  exists=$(psql "$PG_URL" -qAtX -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM pg_database WHERE datname = '$PG_DB'") || die "CTI_PBX_PG_URL: PostgreSQL does not answer"
  [ "$exists" = 1 ] || psql "$PG_URL" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $PG_DB" >/dev/null || die "could not create database $PG_DB"
  psql "$server/$PG_DB" -qX -v ON_ERROR_STOP=1 -v asterisk_role="$PG_ASTERISK_ROLE" -v asterisk_password="$CTI_PBX_PG_ASTERISK_PASSWORD" \
    -v reader_role="$PG_READER_ROLE" -v reader_password="$CTI_PBX_PG_READER_PASSWORD" -f "$PROJECT/docs/asterisk-pgsql.sql" >"$RUN/pg-setup.log" 2>&1 ||
    { cat "$RUN/pg-setup.log" >&2; die "docs/asterisk-pgsql.sql failed"; }
  # The sandbox's tests read the CDR as their oracle, as this role (the service itself never does).
  psql "$server/$PG_DB" -qX -v ON_ERROR_STOP=1 -c "GRANT SELECT ON cdr TO $PG_READER_ROLE" >/dev/null
  local host_part=${PG_URL#*://}
  host_part=${host_part#*@}
  host_part=${host_part%%/*}
  PG_READER_URL="postgres://$PG_READER_ROLE:$CTI_PBX_PG_READER_PASSWORD@$host_part/$PG_DB"
  # Asterisk reaches it across the veth, or writes nothing (cel_pgsql: "Calls will not be logged!").
  local ready=/usr/bin/pg_isready
  [ -x "$ready" ] || ready=$(find /usr/lib/postgresql -name pg_isready -type f | sort -V | tail -n 1)
  "${NSX[@]}" "$ready" -q -h "$HOST_ADDR" -p "$PG_PORT" -t 3 ||
    die "PostgreSQL does not answer on $HOST_ADDR:$PG_PORT from the PBX's namespace: start it listening there too (CTI_PG_LISTEN=\$(sandbox/pbx.sh net) scripts/pg.sh up)"
}

# The recordings server's certificates, made afresh at every `up`: a CA of the sandbox's own, the server's
# (for the PBX's address) and the one client's (CN=cti-service: the only name the server lets in).
tls_setup() {
  command -v openssl >/dev/null || die "openssl missing: run scripts/install-deps.sh"
  rm -rf "$TLS"
  mkdir -p "$TLS"
  chmod 700 "$TLS"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  (
    cd "$TLS"
    umask 077
    openssl req -x509 "${ec[@]}" -days 30 -subj "/CN=cti-sandbox-recordings-ca" -keyout ca.key -out ca.pem
    openssl req "${ec[@]}" -subj "/CN=$PBX_ADDR" -keyout server.key -out server.csr
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out server.pem \
      -extfile <(printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$PBX_ADDR")
    openssl req "${ec[@]}" -subj "/CN=cti-service" -keyout client.key -out client.csr
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out client.pem \
      -extfile <(printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n')
    rm -f server.csr client.csr ca.srl
    chmod 644 ca.pem server.pem client.pem
  ) >"$RUN/tls.log" 2>&1 || { cat "$RUN/tls.log" >&2; die "openssl failed"; }
}

# docs/asterisk-recordings.nginx.conf as shipped, but for its address, port, certificates and directory.
start_recordings_server() {
  [ -x /usr/sbin/nginx ] || die "nginx missing: run scripts/install-deps.sh"
  local d=$RUN/nginx t want i
  rm -rf "$d"
  mkdir -p "$d"
  if port_busy t $REC_PORT; then die "port $REC_PORT already in use"; fi
  sed -e "s|^    listen 8443 ssl;|    listen $PBX_ADDR:$REC_PORT ssl;|" \
      -e "s|/etc/cti-recordings/|$TLS/|g" \
      -e "s|access_log /var/log/nginx/cti-recordings.access.log;|access_log $d/access.log;|" \
      -e "s|alias /var/spool/asterisk/monitor/\\\$1;|alias $R/var/spool/asterisk/monitor/cti/\$1;|" \
      "$PROJECT/docs/asterisk-recordings.nginx.conf" >"$d/server.conf"
  for want in "listen $PBX_ADDR:$REC_PORT ssl;" "ssl_client_certificate $TLS/ca.pem;" "alias $R/var/spool/asterisk/monitor/cti/\$1;" "access_log $d/access.log;"; do
    grep -qF "$want" "$d/server.conf" || die "docs/asterisk-recordings.nginx.conf: could not set '$want'"
  done
  {
    echo "user root;"   # the sandbox's files belong to root; on a PBX nginx reads the monitor dir as its own user
    echo "daemon off; worker_processes 1; pid $d/nginx.pid; error_log $d/error.log warn;"
    echo "events { worker_connections 64; }"
    echo "http {"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $d/$t;"; done
    cat "$d/server.conf"
    echo "}"
  } >"$d/nginx.conf"
  setsid "${NSX[@]}" /usr/sbin/nginx -p "$d" -c "$d/nginx.conf" </dev/null >"$RUN/nginx.out" 2>&1 &
  echo $! >"$RUN/nginx.pid"
  for i in $(seq 1 50); do
    if port_busy t $REC_PORT; then return 0; fi
    pid_alive "$RUN/nginx.pid" || break
    sleep 0.1
  done
  cat "$RUN/nginx.out" "$d/error.log" >&2 2>/dev/null || true
  die "the recordings server (nginx) did not start"
}

# The freepbx profile: sandbox/freepbx/*.conf, the sandbox's own files where they are the same (phones, RTP,
# HTTP, logger, modules), and of our dialplan/ only what an admin adds to a FreePBX: the AMI and ARI users
# and the CDR/CEL file formats the service reads.
FREEPBX_REUSED=(asterisk.conf http.conf indications.conf logger.conf modules.conf rtp.conf cdr_manager.conf confbridge.conf)
FREEPBX_ADMIN_FILES=(manager_cti.conf ari_cti.conf cdr_custom_cti.conf cel_custom_cti.conf freepbx/extensions_custom_cti.conf)
render_freepbx() {
  local f
  for f in "${FREEPBX_REUSED[@]}"; do render "$HERE/asterisk/$f" "$ETC/$f"; done
  for f in "${FREEPBX_ADMIN_FILES[@]}"; do render "$PROJECT/dialplan/$f" "$ETC/$(basename "$f")"; done
  for f in "$HERE"/freepbx/*.conf; do
    case "$f" in *.head.conf) continue ;; esac
    render "$f" "$ETC/$(basename "$f")"
  done
  # the same phones, in FreePBX's phone context; no browser-phone transport (dialplan/pjsip_cti.conf)
  render "$HERE/asterisk/pjsip.conf" "$ETC/pjsip.conf.tmp"
  sed -e 's/^context = cti-phones$/context = from-internal/' -e '/^#include "pjsip_cti.conf"$/d' \
      "$ETC/pjsip.conf.tmp" >"$ETC/pjsip.conf"
  rm -f "$ETC/pjsip.conf.tmp"
  grep -q '^context = from-internal$' "$ETC/pjsip.conf" || die "pjsip.conf: no phone context to replace"
  # the test trunk, then the simulated outside world exactly as the default profile has it
  {
    cat "$HERE/freepbx/extensions_sandbox.head.conf"
    echo
    awk '/^\[/ { keep = ($0 == "[sandbox-caller]" || $0 == "[sandbox-pstn]") } keep' "$HERE/asterisk/extensions.conf"
  } >"$ETC/extensions_sandbox.conf"
  grep -q '^\[sandbox-pstn\]' "$ETC/extensions_sandbox.conf" || die "extensions_sandbox.conf: no [sandbox-pstn]"
  : >"$ETC/globals_custom.conf"
}

# FreePBX keeps its users and devices in astdb (AMPUSER/..., DEVICE/...): load sandbox/freepbx/astdb.txt.
load_astdb() {
  [ "$PROFILE" = freepbx ] || return 0
  local fam key val n=0
  while read -r fam key val; do
    case "$fam" in ''|'#'*) continue ;; esac
    ast_rx "database put $fam $key \"$val\"" >/dev/null || die "astdb: database put $fam $key failed"
    n=$((n + 1))
  done <"$HERE/freepbx/astdb.txt"
  log "astdb: $n FreePBX keys loaded"
}

write_env() {
  local phones="" e
  for e in "${PHONES[@]}"; do phones+="${phones:+,}$e:$(ctrl_port "$e")"; done   # 199 has no ctrl port
  cat >"$PBX/sandbox.env.tmp" <<EOF
CTI_AMI_HOST=$BIND
CTI_AMI_PORT=$AMI_PORT
CTI_AMI_USER=cti
CTI_AMI_SECRET=$CTI_AMI_SECRET
CTI_ARI_URL=http://$BIND:$HTTP_PORT
CTI_ARI_USER=cti
CTI_ARI_PASSWORD=$CTI_ARI_PASSWORD
EOF
  if [ -n "$REMOTE" ]; then
    # No path of the PBX's disk: the event log from PostgreSQL, the recordings over HTTPS (mutual TLS).
    cat >>"$PBX/sandbox.env.tmp" <<EOF
CTI_PBX_CEL_DATABASE_URL=$PG_READER_URL
CTI_PBX_CEL_TABLE=cel
CTI_PBX_RECORDINGS_URL=https://$PBX_ADDR:$REC_PORT/recordings/
CTI_PBX_RECORDINGS_CA=$TLS/ca.pem
CTI_PBX_RECORDINGS_CERT=$TLS/client.pem
CTI_PBX_RECORDINGS_KEY=$TLS/client.key
CTI_SANDBOX_REMOTE=1
CTI_SANDBOX_CDR_DATABASE_URL=$PG_READER_URL
CTI_SANDBOX_PG_ASTERISK_URL=${PG_READER_URL/$PG_READER_ROLE:$CTI_PBX_PG_READER_PASSWORD@/$PG_ASTERISK_ROLE:$CTI_PBX_PG_ASTERISK_PASSWORD@}
CTI_SANDBOX_PHONE_HOST=$PHONE_CTRL_HOST
EOF
  else
    cat >>"$PBX/sandbox.env.tmp" <<EOF
CTI_RECORDINGS_DIR=$R/var/spool/asterisk/monitor$([ "$PROFILE" = freepbx ] || echo /cti)
CTI_CDR_FILE=$R/var/log/asterisk/cdr-custom/cti.csv
CTI_CEL_FILE=$R/var/log/asterisk/cel-custom/cti.csv
EOF
  fi
  cat >>"$PBX/sandbox.env.tmp" <<EOF
CTI_SANDBOX_AMI_USER=sandbox
CTI_SANDBOX_AMI_SECRET=$CTI_SANDBOX_AMI_SECRET
CTI_SANDBOX_ROOT=$R
CTI_SANDBOX_ASTERISK_CONF=$ETC_IN/asterisk.conf
CTI_SANDBOX_SIP=127.0.0.1:$SIP_PORT
CTI_SANDBOX_PHONES=$phones
CTI_SANDBOX_RING_TIMEOUT=$RING_TIMEOUT
CTI_SANDBOX_PHONE_CALLS=$PHONE_CALLS
CTI_SANDBOX_NETNS=$NS
CTI_SIP_SECRET=$CTI_SIP_SECRET
CTI_SOFTPHONE_ENDPOINT=media_address=127.0.0.1;bind_rtp_to_media_address=yes
EOF
  if [ "$PROFILE" = freepbx ]; then
    cat >>"$PBX/sandbox.env.tmp" <<EOF
CTI_PBX_PROFILE=freepbx
CTI_ORIGINATE_CONTEXT=from-internal
CTI_SANDBOX_INBOUND_CONTEXT=from-trunk
CTI_SANDBOX_CLICK2CALL_CONTEXT=from-internal
CTI_SANDBOX_PHONE_CONTEXT=from-internal-xfer
CTI_SANDBOX_CDR_CSV=$R/var/log/asterisk/cdr-csv/Master.csv
CTI_SANDBOX_FREEPBX_DIDS=ext101:8005550101,ext102:8005550102,followme103:8005550103,ext198:8005550198,ext199:8005550199,group600:8005550600,queue400:8005550400,custom700:8005550700
EOF
  fi
  chmod 600 "$PBX/sandbox.env.tmp"
  mv "$PBX/sandbox.env.tmp" "$PBX/sandbox.env"
}

# ------------------------------------------------------------------ processes
port_busy() {  # $1 proto (t|u), $2 port
  local out
  out=$("${NSX[@]}" ss -Hln"$1" "sport = :$2" 2>/dev/null || true)
  [ -n "$out" ]
}

start_asterisk() {
  local p
  for p in "t $AMI_PORT" "t $HTTP_PORT" "u $SIP_PORT"; do
    # shellcheck disable=SC2086
    port_busy $p && die "port ${p#* } already in use on this host (another PBX or sandbox?)"
  done
  mountpoint -q "$R/proc" || mount -t proc proc "$R/proc"
  rm -f "$R/var/run/asterisk/asterisk.ctl" "$R/var/run/asterisk/asterisk.pid"
  setsid "${NSX[@]}" "${AST[@]}" -f </dev/null >"$RUN/asterisk.out" 2>&1 &
  echo $! >"$RUN/asterisk.pid"
  local i
  for i in $(seq 1 300); do
    ast_rx 'core waitfullybooted' >/dev/null && break
    pid_alive "$RUN/asterisk.pid" || { tail -20 "$RUN/asterisk.out" >&2; die "asterisk exited"; }
    sleep 0.1
  done
  asterisk_up || die "asterisk did not boot in 30 s (see $RUN/asterisk.out)"
  for i in $(seq 1 100); do
    port_busy t $AMI_PORT && port_busy u $SIP_PORT && return 0
    sleep 0.1
  done
  die "asterisk booted but AMI/SIP ports are not listening (see $RUN/asterisk.out)"
}

start_phone() {  # $1 ext, $2 index
  local ext=$1 idx=$2 dir="$RUN/phones/$1" answer=auto freq
  [ "$ext" = 198 ] && answer=manual   # rings, never answers
  mkdir -p "$dir"
  freq=$((330 + 110 * idx))   # 101: 440 Hz, 102: 550 Hz, 103: 660 Hz, 198: 770 Hz (tells the phones apart in recordings)
  [ -s "$dir/tone.wav" ] || sox -q -n -r 8000 -c 1 -b 16 "$dir/tone.wav" synth 120 sine "$freq" vol 0.5
  sed -e "s|@EXT@|$ext|g" -e "s|@SIP_PORT@|$(sip_port "$idx")|g" -e "s|@CTRL_PORT@|$(ctrl_port "$ext")|g" -e "s|@CTRL_HOST@|$PHONE_CTRL_HOST|g" \
      -e "s|@RTP_PORTS@|$(rtp_ports "$idx")|g" -e "s|@DIR@|$dir|g" -e "s|@MAX_CALLS@|$PHONE_CALLS|g" \
      "$HERE/baresip/config.tpl" >"$dir/config"
  echo "<sip:$ext@127.0.0.1:$SIP_PORT;transport=udp>;auth_user=$ext;auth_pass=$CTI_PHONE_SECRET;answermode=$answer;regint=600;audio_codecs=pcmu,pcma" >"$dir/accounts"
  chmod 600 "$dir/accounts"
  setsid "${NSX[@]}" baresip -f "$dir" </dev/null >"$RUN/phone-$ext.out" 2>&1 &
  echo $! >"$RUN/phone-$ext.pid"
}

start_busy_phone() {
  port_busy u $BUSY_PORT && die "udp port $BUSY_PORT already in use"
  setsid "${NSX[@]}" node "$HERE/busy-phone.mjs" --port $BUSY_PORT </dev/null >"$RUN/phone-$BUSY_EXT.out" 2>&1 &
  echo $! >"$RUN/phone-$BUSY_EXT.pid"
  local i
  for i in $(seq 1 50); do port_busy u $BUSY_PORT && return 0; sleep 0.1; done
  die "busy phone did not start (see $RUN/phone-$BUSY_EXT.out)"
}

stop_pid() {  # $1 pidfile. TERM; baresip needs a 2nd TERM (skips waiting for un-REGISTER); then KILL
  local f=$1 p i
  [ -f "$f" ] || return 0
  p=$(cat "$f")
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    for i in $(seq 1 6); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null || true
    for i in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
  fi
  rm -f "$f"
}

# ------------------------------------------------------------------ commands
all_up() {
  asterisk_up || return 1
  local e
  for e in "${PHONES[@]}" $BUSY_EXT; do pid_alive "$RUN/phone-$e.pid" || return 1; done
  if [ -n "$REMOTE" ]; then pid_alive "$RUN/nginx.pid" || return 1; fi
  local contacts
  contacts=$(ast_rx 'pjsip show contacts' || true)
  for e in "${PHONES[@]}"; do registered "$e" "$contacts" || return 1; done
  return 0
}

cmd_up() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (chroot, mount)"
  for c in baresip sox ss mountpoint node; do command -v $c >/dev/null || die "$c missing: run scripts/install-deps.sh"; done
  mkdir -p "$RUN"
  if [ -f "$RUN/asterisk.pid" ] || ls "$RUN"/phone-*.pid >/dev/null 2>&1; then
    secrets
    local was_ns=""
    [ -f "$RUN/netns" ] && was_ns=$(cat "$RUN/netns")
    local was_profile=default
    [ -f "$RUN/profile" ] && was_profile=$(cat "$RUN/profile")
    local was_layout=local
    [ -f "$RUN/layout" ] && was_layout=$(cat "$RUN/layout")
    if [ "$was_ns" = "$NS" ] && [ "$was_profile" = "$PROFILE" ] && [ "$was_layout" = "$(layout)" ] && all_up; then
      [ -z "$REMOTE" ] || pg_setup
      write_env; log "already up ($PBX/sandbox.env)"; return 0
    fi
    log "partly up, in another network namespace or another profile: restarting"
    cmd_down >/dev/null
  fi
  local t0=$SECONDS
  build_root
  secrets
  netns_up
  [ -z "$REMOTE" ] || pg_setup
  render_config
  start_asterisk
  echo "$PROFILE" >"$RUN/profile"
  layout >"$RUN/layout"
  if [ -n "$REMOTE" ]; then tls_setup; start_recordings_server; fi
  load_astdb
  log "asterisk fully booted ($(ast_rx 'core show version' | head -1 | cut -d' ' -f1-2))"
  local i=0 e
  for e in "${PHONES[@]}"; do i=$((i + 1)); start_phone "$e" "$i"; done
  start_busy_phone
  local contacts
  for i in $(seq 1 150); do
    local ok=1
    contacts=$(ast_rx 'pjsip show contacts' || true)
    for e in "${PHONES[@]}"; do registered "$e" "$contacts" || { ok=0; break; }; done
    [ $ok = 1 ] && break
    sleep 0.1
  done
  for e in "${PHONES[@]}"; do
    registered "$e" "$contacts" || { cmd_status || true; die "phone $e did not register (see $RUN/phone-$e.out)"; }
  done
  write_env
  log "up in $((SECONDS - t0)) s (profile $PROFILE): AMI $BIND:$AMI_PORT, ARI http://$BIND:$HTTP_PORT, SIP udp 127.0.0.1:$SIP_PORT${NS:+ (network namespace $NS: ip netns exec $NS ...)}"
  [ -z "$REMOTE" ] || log "remote layout: recordings https://$PBX_ADDR:$REC_PORT/recordings/ (mutual TLS, $TLS), CEL and CDR into database $PG_DB"
  log "env: $PBX/sandbox.env"
}

cmd_down() {
  local f
  for f in "$RUN"/phone-*.pid; do [ -e "$f" ] && stop_pid "$f"; done
  stop_pid "$RUN/nginx.pid"
  if [ -f "$RUN/asterisk.pid" ]; then
    local p i
    p=$(cat "$RUN/asterisk.pid")
    if kill -0 "$p" 2>/dev/null; then
      ast_rx 'core stop now' >/dev/null || true
      for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    fi
    stop_pid "$RUN/asterisk.pid"
  fi
  if [ -d "$R/proc" ] && mountpoint -q "$R/proc"; then umount "$R/proc" || umount -l "$R/proc"; fi
  netns_down
  rm -f "$PBX/sandbox.env" "$RUN/profile" "$RUN/layout"
  log "down"
}

cmd_status() {
  local rc=0 e state contacts=""
  if asterisk_up; then
    contacts=$(ast_rx 'pjsip show contacts' || true)
    echo "asterisk: running (pid $(cat "$RUN/asterisk.pid")), fully booted, AMI $BIND:$AMI_PORT SIP 127.0.0.1:$SIP_PORT"
    ast_rx 'core show channels count' | sed 's/^/  /' || true
  elif pid_alive "$RUN/asterisk.pid"; then
    echo "asterisk: process $(cat "$RUN/asterisk.pid") but not answering"; rc=3
  else
    echo "asterisk: not running"; rc=3
  fi
  for e in "${PHONES[@]}"; do
    if pid_alive "$RUN/phone-$e.pid"; then state="running (pid $(cat "$RUN/phone-$e.pid"), ctrl $PHONE_CTRL_HOST:$(ctrl_port "$e"))"
    else state="not running"; rc=3; fi
    if [ -n "$contacts" ]; then
      if registered "$e" "$contacts"; then state+=", registered"; else state+=", NOT registered"; rc=3; fi
    fi
    echo "phone $e: $state"
  done
  if pid_alive "$RUN/phone-$BUSY_EXT.pid"; then
    echo "phone $BUSY_EXT: busy-phone.mjs running (pid $(cat "$RUN/phone-$BUSY_EXT.pid"), udp 127.0.0.1:$BUSY_PORT, static contact, always 486)"
  else echo "phone $BUSY_EXT: busy-phone.mjs not running"; rc=3; fi
  if [ -f "$RUN/nginx.pid" ]; then
    if pid_alive "$RUN/nginx.pid"; then echo "recordings server: nginx running (pid $(cat "$RUN/nginx.pid")), https://$PBX_ADDR:$REC_PORT/recordings/"
    else echo "recordings server: nginx not running"; rc=3; fi
  fi
  mountpoint -q "$R/proc" 2>/dev/null && echo "mount: $R/proc"
  [ -f "$RUN/netns" ] && echo "network namespace: $(cat "$RUN/netns")"
  return $rc
}

cmd_net() {  # the namespace and veth alone (remote layout): prints this side's address, for PostgreSQL to listen on
  [ "$(id -u)" -eq 0 ] || die "must run as root (ip netns)"
  [ -n "$REMOTE" ] || die "net: for the remote layout only (CTI_PBX_REMOTE=1 CTI_PBX_NETNS=<name>)"
  mkdir -p "$RUN"
  netns_up
  echo "$HOST_ADDR"
}

case "${1:-}" in
  up) cmd_up ;;
  net) cmd_net ;;
  down) cmd_down ;;
  status) if cmd_status; then exit 0; else exit 3; fi ;;
  *) echo "usage: $0 up|down|status|net" >&2; exit 2 ;;
esac
