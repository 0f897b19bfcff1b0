#!/bin/bash
# All tests on a fresh machine: unit, service, then integration against the real sandbox Asterisk, then
# e2e: real Chromium on the web app, against the same sandbox. The service and integration tiers run on
# both databases: SQLite (the embedded default) and PostgreSQL (a throw-away server, scripts/pg.sh);
# the cluster tier runs two instances on PostgreSQL.
# Brings the sandbox and PostgreSQL up for the run and always takes them down again. Ends with one
# summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
# The first run leaves the clone as it was: installing and building rewrite no tracked file (the lock).
in_git() { git rev-parse --is-inside-work-tree >/dev/null 2>&1; }
tracked_state() { in_git && git diff HEAD | sha1sum || true; }
before=$(tracked_state)
bash scripts/setup.sh
if [ "$(tracked_state)" != "$before" ]; then
  echo "test: installing and building changed tracked files:" >&2
  git status --short >&2
  exit 1
fi
npx tsc -p tsconfig.json --noEmit
# dist/ was built by setup.sh a moment ago: the service tier's CLI tests need not build it again
# (tests/support/build-service.ts; three fast-tier runs below).
export CTI_TEST_BUILT=1
out=$(mktemp -d)
status=0
# PostgreSQL: a throw-away server on 127.0.0.1 (its own folder, a random password). Each PostgreSQL
# test gets a database of its own, copied from a migrated template (tests/support/database.ts).
# The second sandbox (PostgreSQL's integration run, below) is the PBX on another host
# (docs/remote-pbx.md): its own network namespace joined by a veth pair, so PostgreSQL listens on this
# side's address too, for Asterisk's cel_pgsql and cdr_pgsql.
export CTI_PG_PORT=${CTI_PG_PORT:-55432}
PG_SANDBOX_DIR=$(mktemp -d)/pbx
REMOTE=(env CTI_PBX_REMOTE=1 CTI_PBX_NETNS=cti-remote-$$ CTI_PBX_PORT_OFFSET=100 CTI_PBX_DIR="$PG_SANDBOX_DIR")
cleanup() {
  bash sandbox/pbx.sh down >/dev/null 2>&1 || true
  "${REMOTE[@]}" bash sandbox/pbx.sh down >/dev/null 2>&1 || true
  bash scripts/pg.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT
# (two steps: a failure inside a command's env prefix would not stop the run)
pg_listen=$("${REMOTE[@]}" bash sandbox/pbx.sh net)
CTI_TEST_PG_URL=$(CTI_PG_LISTEN=$pg_listen bash scripts/pg.sh up)
export CTI_TEST_PG_URL
npx vitest run --project unit --project service --reporter=default --reporter=json --outputFile="$out/fast.json" || status=1
# No test may depend on today's date: the fast tiers again at two other dates (libfaketime), seven months
# ahead (other DST offsets, another half of the year) and a little over three years ahead (a leap day
# behind, other weekdays). The first of them runs on PostgreSQL: the service tier on the other database
# (the server keeps the real clock; no table takes a time from it). Their counts go into the summary
# line like any other run.
dated=()
for shift in +213d +1187d; do
  engine=sqlite
  [ "$shift" = +213d ] && engine=postgres
  echo "== unit + service on $engine at $(faketime -f "$shift" date -u '+%Y-%m-%d %H:%M UTC') (faketime $shift)"
  CTI_TEST_DATABASE=$engine faketime -f "$shift" npx vitest run --project unit --project service --reporter=dot --reporter=json --outputFile="$out/fast$shift.json" || status=1
  dated+=("$out/fast$shift.json")
done
# Integration on both databases at once, each against its own sandbox Asterisk (the second one's ports
# moved by CTI_PBX_PORT_OFFSET=100): the tier mostly waits on real calls ringing, so two share the cores.
# SQLite with the PBX beside the service (its files on this disk); PostgreSQL with the PBX on another
# host (no shared folder: its event log through cel_pgsql, recordings over HTTPS with mutual TLS), plus
# the `remote` project's checks of who may take what across that network.
bash sandbox/pbx.sh up
"${REMOTE[@]}" CTI_PBX_PG_URL="$CTI_TEST_PG_URL" bash sandbox/pbx.sh up
"${REMOTE[@]}" CTI_TEST_DATABASE=postgres \
  npx vitest run --project integration --project remote --reporter=dot --reporter=json --outputFile="$out/integration-postgres.json" >"$out/integration-postgres.log" 2>&1 &
pg_it=$!
npx vitest run --project integration --reporter=default --reporter=json --outputFile="$out/integration.json" || status=1
wait "$pg_it" || status=1
echo "== integration on PostgreSQL, the PBX on another host"
cat "$out/integration-postgres.log"
# Several instances on one PostgreSQL (src/cluster), on the second sandbox, while e2e runs on the first:
# two services, a leader killed -9 mid-call, the follower taking over.
"${REMOTE[@]}" CTI_TEST_DATABASE=postgres \
  npx vitest run --project cluster --reporter=default --reporter=json --outputFile="$out/cluster.json" >"$out/cluster.log" 2>&1 &
cluster_it=$!
npx vitest run --project e2e --reporter=default --reporter=json --outputFile="$out/e2e.json" || status=1
wait "$cluster_it" || status=1
echo "== several instances (cluster) on PostgreSQL"
cat "$out/cluster.log"
# Several PBXs (src/pbx/pbxes.ts): one service attached to both sandboxes at once, the first beside it and
# the second on another host, extension 101 on each.
CTI_TEST_DATABASE=postgres CTI_TEST_PBX2_DIR="$PG_SANDBOX_DIR" \
  npx vitest run --project pbxes --reporter=default --reporter=json --outputFile="$out/pbxes.json" || status=1
"${REMOTE[@]}" bash sandbox/pbx.sh down >/dev/null
# A PBX whose dialplan we do not own: the sandbox restarted with the FreePBX-shaped profile
# (CTI_PBX_PROFILE=freepbx), the service attached to it by an AMI user only (and, in one test, our
# routing as its custom destination).
bash sandbox/pbx.sh down >/dev/null
CTI_PBX_PROFILE=freepbx bash sandbox/pbx.sh up
npx vitest run --project freepbx --reporter=default --reporter=json --outputFile="$out/freepbx.json" || status=1
# The browser phone (WebRTC): the same sandbox restarted inside a network namespace (Asterisk offers no
# loopback ICE candidate; sandbox/pbx.sh CTI_PBX_NETNS), and vitest in there with it. `down` (also the
# EXIT trap's) deletes the namespace.
SOFTPHONE_NS=cti-softphone-$$
bash sandbox/pbx.sh down >/dev/null
CTI_PBX_NETNS=$SOFTPHONE_NS bash sandbox/pbx.sh up
ip netns exec "$SOFTPHONE_NS" npx vitest run --project softphone --reporter=default --reporter=json --outputFile="$out/softphone.json" || status=1
# The summary: the counts, then every failed test by tier, file and name with the first line of its
# error, so that the end of the log says what went wrong without a search through the tiers above.
node -e '
  const fs = require("fs"), path = require("path");
  let p = 0, f = 0, s = 0;
  const failed = [];
  for (const file of process.argv.slice(1)) {
    const tier = path.basename(file, ".json");
    let r;
    try {
      r = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      f += 1;
      failed.push(`${tier}: no report (${file}): the run stopped before it wrote one`);
      continue;
    }
    p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + r.numTodoTests;
    for (const suite of r.testResults ?? []) {
      const where = path.relative(process.cwd(), suite.name);
      const tests = (suite.assertionResults ?? []).filter((t) => t.status === "failed");
      for (const t of tests) {
        const first = String(t.failureMessages?.[0] ?? "").split("\n")[0].slice(0, 300);
        failed.push(`${tier}: ${where} > ${t.fullName}: ${first}`);
      }
      if (tests.length === 0 && suite.status === "failed") failed.push(`${tier}: ${where}: ${String(suite.message ?? "").split("\n")[0].slice(0, 300)}`);
    }
  }
  for (const line of failed) console.log(`failed: ${line}`);
  console.log(`tests: ${p} passed, ${f} failed, ${s} skipped`);
' "$out/fast.json" "${dated[@]}" "$out/integration.json" "$out/integration-postgres.json" "$out/e2e.json" "$out/cluster.json" "$out/pbxes.json" "$out/freepbx.json" "$out/softphone.json"
exit $status
