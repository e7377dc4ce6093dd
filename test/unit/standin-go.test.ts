// The stand-in kubelet's own Go tests (standin/kubernetes/pkg/standin/pods: static and API pods, volumes,
// deletion, Node and Lease objects) run with the suite, so the logic under the real-node tests is checked
// without root too (the one Go test that needs root skips and says why).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/files.js';

const go = ['/usr/bin/go', '/usr/local/go/bin/go'].find((p) => existsSync(p));

test('go test ./... in the stand-in Kubernetes tree passes', { skip: go ? undefined : 'needs go (scripts/install-test-deps.sh)', timeout: 600_000 }, () => {
  const r = spawnSync(go!, ['test', '-count=1', '-v', './...'], { cwd: path.join(REPO_ROOT, 'standin/kubernetes'), encoding: 'utf8', env: { ...process.env, GOFLAGS: '', GOWORK: '' } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const passed = r.stdout.match(/^--- PASS: /gm) ?? [];
  assert.ok(passed.length >= 10, `the pods package's tests ran (${passed.length} passed)`);
  assert.doesNotMatch(r.stdout, /^--- FAIL: /m);
});
