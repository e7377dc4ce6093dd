#!/bin/sh
# The test files `npm test` runs, the longest first, then the rest in name order. npm test runs two
# files at a time: a long file started near the end would keep the run going alone there (the real
# control plane's end-to-end file alone takes about 4.5 minutes).
cd "$(dirname "$0")/.." || exit 1
FIRST='test/integration/real-debug-playbooks.test.ts
test/integration/debug-playbooks.test.ts
test/integration/safety.test.ts'
printf '%s\n' "$FIRST"
find test -name '*.test.ts' | sort | grep -vxF "$FIRST"
