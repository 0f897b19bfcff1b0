#!/bin/bash
# Everything a fresh Debian bookworm machine needs for the demo and the tests: Debian packages
# (scripts/install-deps.sh), npm packages (npm ci, native modules built from source), and the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm 11 here writes a lock without other platforms' optional packages and `npm ci` then refuses it;
  # `npm install` installs the same locked versions.
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund
fi
npm run -s build
