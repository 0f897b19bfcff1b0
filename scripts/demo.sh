#!/bin/bash
# The demo on a fresh machine: sandbox Asterisk + the service + demo calls flowing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/cti.js demo
