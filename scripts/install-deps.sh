#!/bin/bash
# Host packages the PBX sandbox (sandbox/pbx.sh), the PostgreSQL test server (scripts/pg.sh), the
# integration tests and the e2e tests need.
# Idempotent: installs only what is missing; runs `apt-get update` once, only when something is missing.
# Needs root (Debian bookworm).
set -euo pipefail

PKGS=(
  mmdebstrap      # builds the Debian sid chroot that holds Asterisk 22
  baresip-core    # SIP test phones (ext 101-103 auto-answer, 198 never answers)
  sox             # tone.wav for the phones; soxi to measure recordings
  libsox-fmt-all
  util-linux      # mountpoint, setsid
  procps          # ps / kill used by pbx.sh down/status
  iproute2        # ss, used by pbx.sh to wait for listening ports
  nginx           # tests/integration/ws-proxy.test.ts runs docs/asterisk-ws-proxy.nginx.conf (never as a service)
  openssl         # that test's throw-away certificate
  faketime        # the unit and service tiers run again at other dates (scripts/test.sh)
  chromium        # the e2e tests' browser, driven by playwright-core (never a downloaded browser build)
  postgresql      # PostgreSQL 15 (bookworm): scripts/pg.sh runs a throw-away server from its binaries for the
                  # tests and the demo (CTI_DATABASE_URL=postgres://...). No "main" cluster: see below
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all present (${PKGS[*]})"
  exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
# No package may start a service here (nginx would listen on 0.0.0.0:80): policy-rc.d answers "not now"
# (101) while apt runs, unless the machine already has one.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt_install() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"; }
# Debian's postgresql-<major> creates a "main" cluster on first install (/etc/postgresql/<major>/main,
# localhost:5432, started at every boot). Nothing here uses it (scripts/pg.sh runs its own cluster), so
# turn that off first: createcluster.conf comes with postgresql-common, the cluster with the server
# package, so postgresql-common goes in alone, create_main_cluster = false is set, then the rest.
# (A machine that already has a main cluster keeps it; it is not ours to delete.)
if [[ " ${missing[*]} " == *" postgresql "* ]]; then
  [[ $(dpkg-query -W -f='${Status}' postgresql-common 2>/dev/null) == 'install ok installed' ]] || apt_install postgresql-common
  $SUDO pg_conftool /etc/postgresql-common/createcluster.conf set create_main_cluster false
fi
apt_install "${missing[@]}"
echo "install-deps: done"
