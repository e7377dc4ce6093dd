// The real Kubernetes 1.20.2 fixture: Debian's source, built in the tree's release style and cached. Cold,
// the first run builds six components (many minutes on 2 cores); warm, every call is a cache hit.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeTree } from '../helpers/files.js';
import { K8S_COMPONENTS, k8sTree, k8sTreeUnavailable, releaseBinaries } from './k8s-tree.js';
import type { K8sComponent, K8sTree } from './k8s-tree.js';

const skip = k8sTreeUnavailable();
// What the tree's hack/lib/version.sh says for Debian's orig tarball, a `git archive` of the v1.20.2 tag:
// the version and commit are filled in by git, and the tree state is "archive" (no .git to ask).
const GIT_VERSION = 'v1.20.2';
const GIT_COMMIT = 'faecb196815e248d3ecfb03c680a4507229c2a56';

const run = (bin: string, ...args: string[]) => execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const buildLines = (tree: K8sTree) => (existsSync(tree.buildLog) ? readFileSync(tree.buildLog, 'utf8').split('\n').filter(Boolean).length : 0);

describe('the real Kubernetes 1.20.2 tree from Debian', { skip }, () => {
  let tree: K8sTree;
  let bins: Record<K8sComponent, string>;
  before(async () => {
    tree = await k8sTree();
    bins = await releaseBinaries();
  });

  test('the tree is unpacked with Debian\'s reflect2 1.0.2 in vendor/', () => {
    assert.ok(existsSync(path.join(tree.dir, 'cmd/kube-apiserver')));
    assert.ok(existsSync(path.join(tree.dir, 'hack/lib/golang.sh')));
    const vendored = path.join(tree.dir, 'vendor/github.com/modern-go/reflect2');
    // go_above_118.go came with 1.0.2, the release that works with Go 1.18's runtime.
    assert.ok(existsSync(path.join(vendored, 'go_above_118.go')), 'reflect2 1.0.2 is vendored');
  });

  test('the six release binaries exist outside _output and are stripped, as real clusters run them', () => {
    for (const c of K8S_COMPONENTS) {
      const bin = bins[c];
      assert.equal(path.basename(bin), c);
      assert.ok(!bin.startsWith(path.join(tree.dir, '_output')), `${bin} is kept out of the tree's _output`);
      assert.ok((statSync(bin).mode & 0o100) !== 0, `${bin} is executable`);
      const info = run('go', 'version', '-m', bin);
      assert.match(info, /-ldflags="-s -w -buildid= /, `${c} was linked stripped`);
      const nm = spawnSync('go', ['tool', 'nm', bin], { encoding: 'utf8' });
      assert.notEqual(nm.status, 0, `${c} has no symbol table`);
      assert.match(nm.stderr, /no symbol/);
    }
  });

  test('each reports v1.20.2, the tag Debian\'s orig tarball was archived from', () => {
    assert.equal(run(bins['kube-apiserver'], '--version').trim(), `Kubernetes ${GIT_VERSION}`);
    assert.equal(run(bins['kube-scheduler'], '--version').trim(), `Kubernetes ${GIT_VERSION}`);
    assert.equal(run(bins['kube-controller-manager'], '--version').trim(), `Kubernetes ${GIT_VERSION}`);
    assert.equal(run(bins.kubeadm, 'version', '-o', 'short').trim(), GIT_VERSION);
    const kubectl = JSON.parse(run(bins.kubectl, 'version', '--client', '-o', 'json')) as { clientVersion: Record<string, string> };
    assert.equal(kubectl.clientVersion.gitVersion, GIT_VERSION);
    assert.equal(kubectl.clientVersion.gitCommit, GIT_COMMIT);
    assert.equal(kubectl.clientVersion.gitTreeState, 'archive');
  });

  test('kubeadm writes a kubeconfig offline (with the vendored reflect2 1.0.1 it panics in json-iterator)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kplay-kubeadm-'));
    try {
      const common = ['--cert-dir', path.join(dir, 'pki'), '--kubernetes-version', GIT_VERSION];
      run(bins.kubeadm, 'init', 'phase', 'certs', 'ca', ...common);
      run(bins.kubeadm, 'init', 'phase', 'kubeconfig', 'admin', ...common, '--kubeconfig-dir', dir, '--apiserver-advertise-address', '10.96.0.10');
      const admin = readFileSync(path.join(dir, 'admin.conf'), 'utf8');
      assert.match(admin, /server: https:\/\/10\.96\.0\.10:6443/);
      assert.match(admin, /client-certificate-data: \S+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a second call is a cache hit: no build, the same files untouched', async () => {
    const builds = buildLines(tree);
    const mtimes = K8S_COMPONENTS.map((c) => statSync(bins[c]).mtimeMs);
    const again = await releaseBinaries();
    assert.deepEqual(again, bins);
    assert.equal(buildLines(tree), builds, 'no build was logged');
    assert.deepEqual(K8S_COMPONENTS.map((c) => statSync(again[c]).mtimeMs), mtimes);
    assert.equal((await k8sTree()).dir, tree.dir);
  });
});

// The script's caching, locking and recovery, without root or the real source: a fake orig tarball whose
// Makefile records each make, sleeps (so two callers overlap) and, asked to, fails the way the 1.20 tree
// does without rsync: it leaves an empty code generator in _output/bin that every later make trips on.
describe('k8s-tree.sh on a small fake tree', () => {
  const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'k8s-tree.sh');
  const MAKEFILE = [
    'B := _output/local/bin/linux/amd64',
    'all:',
    '\t@echo "$(WHAT) GOLDFLAGS=$${GOLDFLAGS-unset}" >> $$FAKE_LOG',
    '\t@mkdir -p $(B) _output/bin',
    '\t@if [ -n "$$FAKE_POISON" ]; then : > _output/bin/prerelease-lifecycle-gen; echo "rsync: not found" >&2; exit 2; fi',
    '\t@test -e _output/bin/prerelease-lifecycle-gen || { printf \'#!/bin/sh\\n\' > _output/bin/prerelease-lifecycle-gen && chmod +x _output/bin/prerelease-lifecycle-gen; }',
    '\t@_output/bin/prerelease-lifecycle-gen',
    '\t@sleep $${FAKE_SLEEP:-0}',
    '\t@for w in $(WHAT); do n=$${w#cmd/}; printf \'#!/bin/sh\\necho %s\\n\' $$n > $(B)/$$n && chmod +x $(B)/$$n; done',
    '',
  ].join('\n');

  function fakeCache(): { cache: string; env: NodeJS.ProcessEnv; log: string } {
    const root = writeTree({
      'kubernetes-1.20.2/Makefile': MAKEFILE,
      'kubernetes-1.20.2/cmd/kube-apiserver/main.go': 'package main\n',
      'kubernetes-1.20.2/cmd/kubectl/main.go': 'package main\n',
      'kubernetes-1.20.2/vendor/github.com/modern-go/reflect2/reflect2.go': '// 1.0.1\n',
      'reflect2/reflect2.go': '// 1.0.2\n',
      'reflect2/go.mod': 'module github.com/modern-go/reflect2\n',
    });
    const cache = path.join(root, 'cache');
    mkdirSync(path.join(cache, 'src'), { recursive: true });
    execFileSync('tar', ['-czf', path.join(cache, 'src/kubernetes_1.20.5+really1.20.2.orig.tar.gz'), '-C', root, 'kubernetes-1.20.2']);
    const log = path.join(root, 'make.log');
    const env = { ...process.env, KPLAY_TEST_CACHE: cache, KPLAY_TEST_REFLECT2: path.join(root, 'reflect2'), FAKE_LOG: log, GOLDFLAGS: '' };
    return { cache, env, log };
  }
  const script = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync('bash', [SCRIPT, ...args], { env, encoding: 'utf8' });
  const scriptAsync = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', [SCRIPT, ...args], { env, encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? ((err.code as number) ?? 1) : 0, stdout, stderr }));
    });
  const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  const TREE = 'tree/1.20.5+really1.20.2/kubernetes';

  test('the tree is unpacked once, with reflect2 replaced; a half-done unpack is redone', () => {
    const { cache, env } = fakeCache();
    const r = script(env, 'tree');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), path.join(cache, TREE));
    assert.equal(readFileSync(path.join(cache, TREE, 'vendor/github.com/modern-go/reflect2/reflect2.go'), 'utf8'), '// 1.0.2\n');
    assert.equal(existsSync(path.join(cache, TREE, 'vendor/github.com/modern-go/reflect2/go.mod')), false);
    assert.match(r.stderr, /unpacking/);
    const again = script(env, 'tree');
    assert.equal(again.status, 0);
    assert.equal(again.stderr, '', 'a ready tree is not unpacked again');
    // An unpack cut short: the tree folder without its ready mark.
    rmSync(path.join(cache, TREE, '.kplay-ready'));
    writeFileSync(path.join(cache, TREE, 'cmd/kube-apiserver/main.go'), 'half\n');
    const redo = script(env, 'tree');
    assert.match(redo.stderr, /unpacking/);
    assert.equal(readFileSync(path.join(cache, TREE, 'cmd/kube-apiserver/main.go'), 'utf8'), 'package main\n');
  });

  test('two callers at once: one make, both get the cached binaries; debug flags in the caller\'s environment are dropped', async () => {
    const { cache, env, log } = fakeCache();
    const slow = { ...env, FAKE_SLEEP: '1' };
    const [a, b] = await Promise.all([scriptAsync(slow, 'release', 'kube-apiserver', 'kubectl'), scriptAsync(slow, 'release', 'kube-apiserver', 'kubectl')]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const want = ['kube-apiserver', 'kubectl'].map((c) => path.join(cache, 'bin/1.20.5+really1.20.2/release', c));
    assert.deepEqual(a.stdout.trim().split('\n'), want);
    assert.deepEqual(b.stdout.trim().split('\n'), want);
    assert.deepEqual(lines(log), ['cmd/kube-apiserver cmd/kubectl GOLDFLAGS=unset']);
    assert.equal(lines(path.join(cache, 'bin/1.20.5+really1.20.2/release/builds.log')).length, 2);
    assert.equal(run(want[1]!).trim(), 'kubectl');
    // A later debug build writes _output; the cached release binary is another file.
    writeFileSync(path.join(cache, TREE, '_output/local/bin/linux/amd64/kubectl'), '#!/bin/sh\necho debug\n');
    assert.equal(run(want[1]!).trim(), 'kubectl');
    assert.equal(script(env, 'release', 'kubectl').status, 0);
    assert.equal(lines(log).length, 1, 'a cached binary is not built again');
  });

  test('a failed build caches nothing and does not poison the next: the empty generator it left is removed', () => {
    const { cache, env, log } = fakeCache();
    const failed = script({ ...env, FAKE_POISON: '1' }, 'release', 'kubectl');
    assert.notEqual(failed.status, 0);
    assert.match(failed.stderr, /rsync: not found/);
    assert.equal(existsSync(path.join(cache, 'bin/1.20.5+really1.20.2/release/kubectl')), false);
    assert.equal(statSync(path.join(cache, TREE, '_output/bin/prerelease-lifecycle-gen')).size, 0, 'the poisoned state, as on the real tree');
    const before = lines(log).length;
    const next = script(env, 'release', 'kubectl');
    assert.equal(next.status, 0, next.stderr);
    assert.match(next.stderr, /Permission denied/);
    assert.match(next.stderr, /removing broken generators left by the failed make \(_output\/bin\/prerelease-lifecycle-gen\), then trying once more/);
    assert.equal(lines(log).length, before + 2);
    assert.equal(run(next.stdout.trim()).trim(), 'kubectl');
  });

  test('no source, or an unknown component, is refused with what to do', () => {
    const { cache, env } = fakeCache();
    const none = script({ ...env, KPLAY_TEST_CACHE: path.join(cache, 'empty') }, 'tree');
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no Debian kubernetes source in .*empty\/src: run scripts\/install-test-deps.sh as root/);
    const unknown = script(env, 'release', 'kube-nothing');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /has no cmd\/kube-nothing/);
  });
});
