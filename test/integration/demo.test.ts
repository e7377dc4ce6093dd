// `npm run demo` and `npm run demo -- --real` are README commands: they must keep working. It runs here as the README says
// (after the build that npm test has already done), and must end with every check passed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/files.js';
import { k8sTreeUnavailable } from '../support/k8s-tree.js';
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

test('npm run demo -- --real: the debug-apiserver session on the real 1.20.2 control plane, stage by stage', { skip: k8sTreeUnavailable() }, () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/demo.ts'), '--real'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 3_600_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Kubernetes v1\.20\.2 on node cp1 \(10\.250\.0\.10\)/);
  const flags = Number(/kube-apiserver runs \(pid \d+\) with (\d+) flags, exactly kubeadm's manifest/.exec(r.stdout)?.[1]);
  assert.ok(flags > 20, `the flag count is printed: ${flags}`);
  assert.match(r.stdout, new RegExp(`under Delve now: \\S+/kube-apiserver with ${flags} flags \\(the same as before: true\\)`));
  assert.match(r.stdout, /hit by kubectl get --raw \/livez: stopped in \S*k8s\.io\/apiserver\/pkg\/server\/healthz\.handleRootHealth\.func1 at staging\/src\/k8s\.io\/apiserver\/pkg\/server\/healthz\/healthz\.go:\d+ /);
  assert.match(r.stdout, /continued: kubectl got "ok"/);
  assert.match(r.stdout, /kplay exited with 0; the release kube-apiserver runs again \(pid \d+, original command line: true\)/);
  assert.match(r.stdout, /\(byte-identical\); dlv processes left: none; IDE settings left in the checkout: none/);
  assert.match(r.stdout, /^Done: the session ended with the node as it was\.$/m);
});
