#!/bin/bash
# All tests on a fresh machine: unit, service, then integration against the real sandbox Asterisk, then
# e2e: real Chromium on the web app, against the same sandbox.
# Brings the sandbox up for the run and always takes it down again. Ends with one summary line.
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
npx vitest run --project unit --project service --reporter=default --reporter=json --outputFile="$out/fast.json" || status=1
# No test may depend on today's date: the fast tiers again at two other dates (libfaketime), seven months
# ahead (other DST offsets, another half of the year) and a little over three years ahead (a leap day
# behind, other weekdays). Their counts go into the summary line like any other run.
dated=()
for shift in +213d +1187d; do
  echo "== unit + service at $(faketime -f "$shift" date -u '+%Y-%m-%d %H:%M UTC') (faketime $shift)"
  faketime -f "$shift" npx vitest run --project unit --project service --reporter=dot --reporter=json --outputFile="$out/fast$shift.json" || status=1
  dated+=("$out/fast$shift.json")
done
bash sandbox/pbx.sh up
trap 'bash sandbox/pbx.sh down || true' EXIT
npx vitest run --project integration --reporter=default --reporter=json --outputFile="$out/integration.json" || status=1
npx vitest run --project e2e --reporter=default --reporter=json --outputFile="$out/e2e.json" || status=1
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
node -e '
  let p = 0, f = 0, s = 0;
  for (const file of process.argv.slice(1)) {
    try {
      const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
      p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + r.numTodoTests;
    } catch { f += 1; }
  }
  console.log(`tests: ${p} passed, ${f} failed, ${s} skipped`);
' "$out/fast.json" "${dated[@]}" "$out/integration.json" "$out/e2e.json" "$out/freepbx.json" "$out/softphone.json"
exit $status
