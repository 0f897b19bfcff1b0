#!/bin/bash
# Everything a fresh Debian bookworm machine needs for the demo and the tests: Debian packages
# (scripts/install-deps.sh), npm packages (npm ci, native modules built from source), and the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The lock must match package.json (checked even when node_modules is already there): out of sync, stop.
if ! npm ci --dry-run --no-audit --no-fund >/dev/null 2>&1; then
  echo "setup: package-lock.json does not match package.json; run 'npm install' and commit the lock" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # The lock holds every platform's optional packages (rollup, esbuild): `npm ci` takes it anywhere, and
  # fails (so the test command fails) when package.json and the lock disagree. It never rewrites the lock.
  npm ci --no-audit --no-fund
fi
npm run -s build
