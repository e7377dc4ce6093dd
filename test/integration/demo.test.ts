// `npm run demo` is a README command: it must keep working. It runs here as the README says
// (after the build that npm test has already done), and must end with every check passed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/files.js';
import { standinUnavailable } from '../support/standin-cluster.js';

test('npm run demo: both debug sessions run and end with the node as it was', { skip: standinUnavailable() }, () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/demo.ts')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const hits = r.stdout.match(/breakpoint hit by GET \S+: stopped in k8s\.io\/kubernetes\/pkg\/standin\.Healthz at pkg\/standin\/healthz\.go:\d+/g) ?? [];
  assert.equal(hits.length, 2, 'a breakpoint hit in each session');
  for (const c of ['kube-apiserver', 'kubelet']) assert.match(r.stdout, new RegExp(`kplay exited with 0; ${c} healthy again \\(pid \\d+, original flags: true\\)`));
  assert.equal((r.stdout.match(/byte-identical\); dlv processes left: none; uploads left: none/g) ?? []).length, 2);
  assert.match(r.stdout, /^Done: both sessions ended with the node as it was\.$/m);
});
