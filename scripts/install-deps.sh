#!/bin/bash
# Host packages the PBX sandbox (sandbox/pbx.sh), the integration tests and the e2e tests need.
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
  faketime        # the unit and service tiers run again at other dates (scripts/test.sh)
  chromium        # the e2e tests' browser, driven by playwright-core (never a downloaded browser build)
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
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
