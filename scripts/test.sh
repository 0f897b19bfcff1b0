#!/bin/bash
# All tests on a fresh machine: unit, service, then integration against the real sandbox Asterisk.
# Brings the sandbox up for the run and always takes it down again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json --noEmit
npx vitest run --project unit --project service
bash sandbox/pbx.sh up
trap 'bash sandbox/pbx.sh down || true' EXIT
npx vitest run --project integration
