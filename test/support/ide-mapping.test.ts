// The two ways the Go extension applies substitutePath, as the IDE mapping tests imitate them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toDebuggerPathDap, toDebuggerPathLegacy, toLocalPath } from './ide-mapping.js';

const RULES = [
  { from: '/home/me/k/staging/src/k8s.io/apiserver', to: '_output/local/go/src/k8s.io/kubernetes/vendor/k8s.io/apiserver' },
  { from: '/home/me/k/staging/src/k8s.io/api', to: '_output/local/go/src/k8s.io/kubernetes/vendor/k8s.io/api' },
  { from: '/home/me/k', to: '_output/local/go/src/k8s.io/kubernetes' },
];

test('the first matching rule wins, in both adapters: a staging repository before the tree', () => {
  for (const map of [toDebuggerPathLegacy, toDebuggerPathDap]) {
    assert.equal(map(RULES, '/home/me/k/staging/src/k8s.io/apiserver/pkg/x.go'), '_output/local/go/src/k8s.io/kubernetes/vendor/k8s.io/apiserver/pkg/x.go');
    assert.equal(map(RULES, '/home/me/k/staging/src/k8s.io/api/core/v1/types.go'), '_output/local/go/src/k8s.io/kubernetes/vendor/k8s.io/api/core/v1/types.go');
    assert.equal(map(RULES, '/home/me/k/cmd/kube-apiserver/apiserver.go'), '_output/local/go/src/k8s.io/kubernetes/cmd/kube-apiserver/apiserver.go');
    assert.equal(map(RULES, '/home/me/k2/x.go'), map === toDebuggerPathLegacy ? '_output/local/go/src/k8s.io/kubernetes2/x.go' : '/home/me/k2/x.go');
    assert.equal(map(RULES, '/elsewhere/x.go'), '/elsewhere/x.go');
  }
});

test('a file Delve names maps back to the checkout', () => {
  assert.equal(toLocalPath(RULES, '_output/local/go/src/k8s.io/kubernetes/vendor/k8s.io/apiserver/pkg/x.go'), '/home/me/k/staging/src/k8s.io/apiserver/pkg/x.go');
  assert.equal(toLocalPath(RULES, '_output/local/go/src/k8s.io/kubernetes/pkg/y.go'), '/home/me/k/pkg/y.go');
  assert.equal(toLocalPath(RULES, '/usr/lib/go/src/runtime/proc.go'), '/usr/lib/go/src/runtime/proc.go');
});
