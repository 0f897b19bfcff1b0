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
  chmod 600 "$ETC"/*.conf
  mkdir -p "$R/var/spool/asterisk/monitor/cti" "$R/var/log/asterisk/cdr-custom" \
           "$R/var/log/asterisk/cdr-csv" "$R/var/log/asterisk/cel-custom" "$R/var/run/asterisk" "$R/var/lib/asterisk"
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
CTI_AMI_HOST=127.0.0.1
CTI_AMI_PORT=$AMI_PORT
CTI_AMI_USER=cti
CTI_AMI_SECRET=$CTI_AMI_SECRET
CTI_ARI_URL=http://127.0.0.1:$HTTP_PORT
CTI_ARI_USER=cti
CTI_ARI_PASSWORD=$CTI_ARI_PASSWORD
CTI_RECORDINGS_DIR=$R/var/spool/asterisk/monitor$([ "$PROFILE" = freepbx ] || echo /cti)
CTI_CDR_FILE=$R/var/log/asterisk/cdr-custom/cti.csv
CTI_CEL_FILE=$R/var/log/asterisk/cel-custom/cti.csv
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
  sed -e "s|@EXT@|$ext|g" -e "s|@SIP_PORT@|$(sip_port "$idx")|g" -e "s|@CTRL_PORT@|$(ctrl_port "$ext")|g" \
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
    if [ "$was_ns" = "$NS" ] && [ "$was_profile" = "$PROFILE" ] && all_up; then write_env; log "already up ($PBX/sandbox.env)"; return 0; fi
    log "partly up, in another network namespace or another profile: restarting"
    cmd_down >/dev/null
  fi
  local t0=$SECONDS
  build_root
  secrets
  render_config
  netns_up
  start_asterisk
  echo "$PROFILE" >"$RUN/profile"
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
  log "up in $((SECONDS - t0)) s (profile $PROFILE): AMI 127.0.0.1:$AMI_PORT, ARI http://127.0.0.1:$HTTP_PORT, SIP udp 127.0.0.1:$SIP_PORT${NS:+ (network namespace $NS: ip netns exec $NS ...)}"
  log "env: $PBX/sandbox.env"
}

cmd_down() {
  local f
  for f in "$RUN"/phone-*.pid; do [ -e "$f" ] && stop_pid "$f"; done
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
  rm -f "$PBX/sandbox.env" "$RUN/profile"
  log "down"
}

cmd_status() {
  local rc=0 e state contacts=""
  if asterisk_up; then
    contacts=$(ast_rx 'pjsip show contacts' || true)
    echo "asterisk: running (pid $(cat "$RUN/asterisk.pid")), fully booted, AMI 127.0.0.1:$AMI_PORT SIP 127.0.0.1:$SIP_PORT"
    ast_rx 'core show channels count' | sed 's/^/  /' || true
  elif pid_alive "$RUN/asterisk.pid"; then
    echo "asterisk: process $(cat "$RUN/asterisk.pid") but not answering"; rc=3
  else
    echo "asterisk: not running"; rc=3
  fi
  for e in "${PHONES[@]}"; do
    if pid_alive "$RUN/phone-$e.pid"; then state="running (pid $(cat "$RUN/phone-$e.pid"), ctrl 127.0.0.1:$(ctrl_port "$e"))"
    else state="not running"; rc=3; fi
    if [ -n "$contacts" ]; then
      if registered "$e" "$contacts"; then state+=", registered"; else state+=", NOT registered"; rc=3; fi
    fi
    echo "phone $e: $state"
  done
  if pid_alive "$RUN/phone-$BUSY_EXT.pid"; then
    echo "phone $BUSY_EXT: busy-phone.mjs running (pid $(cat "$RUN/phone-$BUSY_EXT.pid"), udp 127.0.0.1:$BUSY_PORT, static contact, always 486)"
  else echo "phone $BUSY_EXT: busy-phone.mjs not running"; rc=3; fi
  mountpoint -q "$R/proc" 2>/dev/null && echo "mount: $R/proc"
  [ -f "$RUN/netns" ] && echo "network namespace: $(cat "$RUN/netns")"
  return $rc
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) if cmd_status; then exit 0; else exit 3; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
