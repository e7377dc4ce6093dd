// The shipped debug playbooks, checked without a node: what they plan, how they refuse, and the
// build and debug-info scripts they run on the controller (with real make and Go).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { InvalidInputError, formatPlan, listPlaybooks, plan } from '../src/index.js';
import type { PlanStep } from '../src/index.js';
import { REPO_ROOT, writeTree } from './helpers/files.js';
import { standinTree } from './support/ide-mapping.js';

const DEBUG_PLAYBOOKS = {
  'debug-apiserver.yaml': { component: 'kube-apiserver', stop: 'Move the manifest out of the kubelet\'s folder' },
  'debug-scheduler.yaml': { component: 'kube-scheduler', stop: 'Move the manifest out of the kubelet\'s folder' },
  'debug-controller-manager.yaml': { component: 'kube-controller-manager', stop: 'Move the manifest out of the kubelet\'s folder' },
  'debug-kube-proxy.yaml': { component: 'kube-proxy', stop: 'Keep the DaemonSet off this node (affinity)' },
  'debug-kubelet.yaml': { component: 'kubelet', stop: 'Stop the unit' },
} as const;

const INVENTORY = 'defaults: {user: root}\nhosts:\n  cp1: {address: 127.0.0.2}\n  cp2: {address: 127.0.0.3}\n';

function planShipped(file: string, opts: { limit?: string; extra?: string[] } = {}) {
  const dir = writeTree({ 'inv.yaml': INVENTORY });
  return plan({ playbook: path.join(REPO_ROOT, 'playbooks', file), inventory: path.join(dir, 'inv.yaml'), limit: opts.limit ?? 'cp1', extraVars: opts.extra }).plan;
}

function stepsOf(file: string, extra?: string[]): PlanStep[] {
  return planShipped(file, { extra }).hosts[0]!.steps;
}

function runs(steps: PlanStep[], name: string): PlanStep {
  const s = steps.find((x) => x.name === name && x.action === 'run');
  assert.ok(s, `a step "${name}" that runs (have: ${steps.filter((x) => x.action === 'run').map((x) => x.name).join(', ')})`);
  return s;
}

describe('shipped debug playbooks', () => {
  for (const [file, want] of Object.entries(DEBUG_PLAYBOOKS)) {
    test(`${file}: one node only, then preflight, build, upload, capture, stop, launch, attach, hold in that order`, () => {
      assert.throws(
        () => planShipped(file, { limit: 'all' }),
        (err: unknown) => err instanceof InvalidInputError && /at most 1 host at a time, and 2 are selected/.test(err.problems[0]!.message) && /--limit cp1/.test(err.problems[0]!.hint ?? ''),
      );
      const steps = stepsOf(file);
      const order = ['Find the running component', 'Build the component with debug information', 'Upload the debug build', "Capture the component's exact flags", want.stop, 'Launch under Delve', "Forward Delve's port to the controller", 'Debug until Ctrl-C'];
      const at = order.map((n) => steps.indexOf(runs(steps, n)));
      assert.deepEqual([...at].sort((a, b) => a - b), at, `steps in order: ${order.join(' < ')}`);
      const launch = runs(steps, 'Launch under Delve');
      assert.equal((launch.args as { binary: string }).binary, `/var/lib/kplay/debug/${want.component}`);
      assert.equal((launch.args as { listen: string }).listen, '127.0.0.1:2345');
      // Nothing on the node changes before the upload: every earlier node step is a check.
      const upload = steps.indexOf(runs(steps, 'Make the upload folder'));
      for (const s of steps.slice(0, upload)) if (s.action === 'run' && !s.local) assert.ok(s.kind === 'command' && /^(Find|Check)/.test(s.name), `${s.name} before the upload only checks`);
    });
  }

  test('each debug playbook says what it does to the cluster: in the plan before anything runs, and again while it holds', () => {
    const effects: Record<keyof typeof DEBUG_PLAYBOOKS, RegExp> = {
      'debug-apiserver.yaml': /scheduler and controller-manager here lose their leases and kubelets sent to this node by a load balancer can go NotReady/,
      'debug-scheduler.yaml': /loses its leader lease after 15 s .* no new pod is placed/,
      'debug-controller-manager.yaml': /loses its leader lease after 15 s .* nothing is reconciled/,
      'debug-kube-proxy.yaml': /restarted kube-proxy once on every node/,
      'debug-kubelet.yaml': /NotReady after 40-50 s and its pods are evicted after the default 300 s toleration \(CoreDNS too on a single node\)/,
    };
    for (const [file, said] of Object.entries(effects)) {
      const p = planShipped(file);
      // formatPlan prints the description under the plan's title; the run's first event carries it too.
      assert.match(formatPlan(p).split('\ncp1  ')[0]!, /What it does to the cluster:/, `${file}: the plan's head says it`);
      const hold = runs(p.hosts[0]!.steps, 'Debug until Ctrl-C');
      assert.match((hold.args as { message: string }).message.replace(/\s+/g, ' '), said, `${file}: the hold message says it`);
    }
  });

  test('every variable of every shipped playbook has a default and a description', () => {
    const all = listPlaybooks();
    for (const f of [...Object.keys(DEBUG_PLAYBOOKS), 'build-component.yaml']) {
      const pb = all.find((p) => p.file === f);
      assert.ok(pb, f);
      assert.deepEqual(pb.problems, [], `${f} loads without problems`);
      assert.ok(pb.variables.length >= 8, `${f} has its variables`);
      for (const v of pb.variables) {
        assert.ok(v.description && v.description.length > 10, `${f}: ${v.name} is described`);
        assert.notEqual(v.default, undefined, `${f}: ${v.name} has a default`);
      }
    }
  });

  test('kube-proxy: the affinity patch is valid JSON Patch naming the debug label, and its undo removes it', () => {
    const steps = stepsOf('debug-kube-proxy.yaml', ['debug_label=example.com/debug me']);
    const patch = runs(steps, 'Keep the DaemonSet off this node (affinity)');
    const cmd = (patch.args as { cmd: string }).cmd;
    // Let the shell take the command apart, as it will on the node, and read back the -p argument.
    const argv = execFileSync('/bin/sh', ['-c', `set -- ${cmd.replace(/^kubectl/, '')}; for a; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' }).split('\0');
    const ops = JSON.parse(argv[argv.indexOf('-p') + 1]!);
    assert.deepEqual(ops, [
      {
        op: 'add',
        path: '/spec/template/spec/affinity',
        value: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'example.com/debug me', operator: 'DoesNotExist' }] }] } } },
      },
    ]);
    assert.match((patch.undo!.args as { cmd: string }).cmd, /"op":"remove","path":"\/spec\/template\/spec\/affinity"/);
    const label = runs(steps, 'Label this node');
    assert.match(label.preview.join('\n'), /^\$ kubectl label node <stdout of "Find kube-proxy's node name in its flags"> 'example.com\/debug me=true'$/);
    assert.match(label.undo!.preview.join('\n'), /^\$ kubectl label node <stdout of "Find kube-proxy's node name in its flags"> 'example.com\/debug me-'$/);
  });

  test("kube-proxy: every kubectl call runs on the controller, with the kubectl and kubeconfig vars (kubectl's own default when empty)", () => {
    const kubectlSteps = (steps: PlanStep[]) => steps.filter((s) => s.action === 'run' && /kubectl/.test(JSON.stringify(s.args)) && !s.noLog);
    const plain = kubectlSteps(stepsOf('debug-kube-proxy.yaml'));
    assert.ok(plain.length >= 4, `the kubectl steps: ${plain.map((s) => s.name).join(', ')}`);
    for (const s of plain) {
      assert.ok(s.local, `${s.name} runs on the controller`);
      assert.equal(s.become, false, `${s.name} runs as the user, with the user's kubeconfig`);
      assert.doesNotMatch(JSON.stringify(s.args), /admin\.conf|--kubeconfig/, `${s.name} leaves the kubeconfig to kubectl`);
    }
    const set = kubectlSteps(stepsOf('debug-kube-proxy.yaml', ['kubectl=/opt/k8s/kubectl', 'kubeconfig=/home/me/.kube/prod config']));
    for (const s of set) assert.match(JSON.stringify(s.args), /\/opt\/k8s\/kubectl --kubeconfig '\/home\/me\/.kube\/prod config'/, s.name);
    // The token's steps: its request shows no secret; the steps that hold it are hidden.
    const steps = stepsOf('debug-kube-proxy.yaml');
    const request = runs(steps, "Request a token for kube-proxy's service account");
    assert.ok(request.local);
    assert.match(request.preview.join('\n'), /create --raw .*serviceaccounts.* -f - > "\$d\/token\.json"/);
    assert.match(request.preview.join('\n'), /"expirationSeconds":86400/);
    for (const name of ["Write kube-proxy's kubeconfig on the controller", "Give kube-proxy its service account's credentials on the host"]) assert.ok(runs(steps, name).noLog, `${name} is no_log`);
  });

  test('flag-value.sh reads a flag as Go programs do: =value, a separate value, the last one, a bare boolean, else the default', () => {
    const value = (...args: string[]) => execFileSync('sh', [path.join(REPO_ROOT, 'playbooks/lib/flag-value.sh'), ...args], { encoding: 'utf8' });
    const flags = ['--config=/var/lib/kube-proxy/config.conf', '--hostname-override=cp1', '--v', '2', '-kubeconfig', '/k a', '--leader-elect', '--hostname-override=node 2'];
    assert.equal(value('hostname-override', 'fallback', '--', ...flags), 'node 2\n');
    assert.equal(value('kubeconfig', '', '--', ...flags), '/k a\n');
    assert.equal(value('leader-elect', 'x', '--', ...flags), 'true\n');
    assert.equal(value('config', '', '--', ...flags), '/var/lib/kube-proxy/config.conf\n');
    assert.equal(value('leader-elect-resource-lock', 'endpointsleases', '--', ...flags), 'endpointsleases\n');
    assert.equal(value('master', '', '--', ...flags), '');
  });

  test('leader election: with leader_elect=false the lock is checked on the controller before the build; the holder is reported after the launch and in the hold message', () => {
    const names = (steps: PlanStep[]) => steps.filter((x) => x.action === 'run').map((x) => x.name);
    for (const file of ['debug-scheduler.yaml', 'debug-controller-manager.yaml']) {
      const kept = stepsOf(file);
      assert.ok(!names(kept).includes('Check no other instance leads'), `${file}: no check while the captured --leader-elect stays`);
      const report = runs(kept, 'Report who holds the leader lock');
      assert.ok(report.local);
      assert.ok(kept.indexOf(report) > kept.indexOf(runs(kept, 'Wait until the debug build is healthy')), 'reported once the debug build runs');
      assert.match(runs(kept, 'Debug until Ctrl-C').preview.join('\n'), /<stdout of "Report who holds the leader lock">/);
      const off = stepsOf(file, ['leader_elect=false']);
      const check = runs(off, 'Check no other instance leads');
      assert.ok(check.local);
      assert.ok(off.indexOf(check) < off.indexOf(runs(off, 'Build the component with debug information')), 'checked before anything is built or changed');
      assert.match(check.preview.join('\n'), /leader-election\.sh check kube-(scheduler|controller-manager) /);
      assert.match(runs(off, 'Report who holds the leader lock').preview.join('\n'), /-- <args\(value of "Read the flags back"\)> --leader-elect=false$/);
    }
    for (const file of ['debug-apiserver.yaml', 'debug-kube-proxy.yaml', 'debug-kubelet.yaml']) {
      assert.ok(!names(stepsOf(file, ['leader_elect=false'])).some((n) => /leader lock|other instance leads/.test(n)), `${file} has no leader lock`);
    }
  });

  test('leader_elect=false launches with --leader-elect=false; keep leaves the captured flags', () => {
    const kept = runs(stepsOf('debug-scheduler.yaml'), 'Launch under Delve').preview.join('\n');
    assert.match(kept, /-- <args\(value of "Read the flags back"\)>/);
    const set = runs(stepsOf('debug-scheduler.yaml', ['leader_elect=false']), 'Launch under Delve').preview.join('\n');
    assert.match(set, /with_flag\(value of "Read the flags back", "--leader-elect", false\)/);
  });

  test('dlv_continue=false launches paused and skips the health wait; binary= skips the build', () => {
    const steps = stepsOf('debug-apiserver.yaml', ['dlv_continue=false', 'binary=/tmp/kube-apiserver']);
    assert.equal(steps.find((s) => s.name === 'Launch under Delve')!.action, 'skip');
    assert.equal((runs(steps, 'Launch under Delve, paused until a debugger continues it').args as { continue: boolean }).continue, false);
    assert.equal(steps.find((s) => s.name === 'Wait until the debug build is healthy')!.action, 'skip');
    assert.equal(steps.find((s) => s.name === 'Build the component with debug information')!.action, 'skip');
    assert.match((runs(steps, 'Pick the binary').args as { cmd: string }).cmd, /^realpath -- \/tmp\/kube-apiserver$/);
  });

  test("the node's architecture and Delve's Go range are checked before the upload; dlv_check_go_version=false launches with --check-go-version=false", () => {
    const steps = stepsOf('debug-apiserver.yaml');
    const upload = steps.indexOf(runs(steps, 'Make the upload folder'));
    const arch = steps.indexOf(runs(steps, "Find the node's architecture"));
    assert.ok(arch < steps.indexOf(runs(steps, 'Build the component with debug information')), 'the platform is known before the build');
    for (const n of ["Check the build is for the node's architecture", "Find Delve's version on the node", "Check that Delve supports the binary's Go version"]) assert.ok(steps.indexOf(runs(steps, n)) < upload, `${n} before the upload`);
    assert.match((runs(steps, 'Build the component with debug information').args as { cmd: string }).cmd, /build-debug\.sh \. kube-apiserver auto <stdout of "Find the node's architecture">$/);
    assert.doesNotMatch(runs(steps, 'Launch under Delve').preview.join('\n'), /check-go-version/);
    const unchecked = stepsOf('debug-apiserver.yaml', ['dlv_check_go_version=false', 'dlv_upload=/tmp/dlv']);
    assert.match(runs(unchecked, 'Launch under Delve').preview.join('\n'), /dlv exec \/var\/lib\/kplay\/debug\/kube-apiserver --headless .* --continue --check-go-version=false -- /);
    assert.equal(unchecked.find((s) => s.name === "Find Delve's version on the node")!.action, 'skip', 'an uploaded Delve is read on the controller');
    assert.ok(runs(unchecked, 'Check the Delve to upload'));
  });

  test('every debug playbook checks versions and the captured flags against the build after the capture and before the stop', () => {
    for (const [file, want] of Object.entries(DEBUG_PLAYBOOKS)) {
      const steps = stepsOf(file);
      const at = (n: string) => steps.indexOf(runs(steps, n));
      const flagsCheck = runs(steps, 'Check the build accepts the captured flags');
      assert.match((flagsCheck.args as { cmd: string }).cmd, new RegExp(`timeout 60 /var/lib/kplay/debug/${want.component} <args\\(value of "Read the flags back"\\)> --version`));
      assert.ok(at("Capture the component's exact flags") < at("Find the running component's version"), file);
      assert.ok(at('Check the versions of the running component, the build and the apiserver') < at(want.stop), `${file}: before the stop`);
      const api = steps.find((s) => s.name === "Find the apiserver's version")!;
      assert.equal(api.action, want.component === 'kubelet' ? 'run' : 'skip', `${file}: the apiserver's version matters for the kubelet only`);
    }
  });

  test('a non-loopback Delve address is kept (the dlv task warns), and the tunnel still reaches it', () => {
    const steps = stepsOf('debug-apiserver.yaml', ['dlv_address=0.0.0.0']);
    assert.equal((runs(steps, 'Launch under Delve').args as { listen: string }).listen, '0.0.0.0:2345');
    assert.equal((runs(steps, "Forward Delve's port to the controller").args as { remote_host: string }).remote_host, '127.0.0.1');
  });
});

describe('build-debug.sh picks the build switch the tree understands', () => {
  const script = path.join(REPO_ROOT, 'playbooks/lib/build-debug.sh');
  // A tree whose Makefile records the variables make was given and produces the output file.
  function tree(golangSh: string): string {
    return writeTree({
      'hack/lib/golang.sh': golangSh,
      'cmd/kube-scheduler/main.go': 'package main\n',
      Makefile:
        'all:\n\t@printf "WHAT=%s DBG=%s GOLDFLAGS=[%s] GOGCFLAGS=[%s] PLATFORMS=%s\\n" "$(WHAT)" "$(DBG)" "$(GOLDFLAGS)" "$(GOGCFLAGS)" "$(KUBE_BUILD_PLATFORMS)" > make.log\n\t@mkdir -p _output/local/bin/$(KUBE_BUILD_PLATFORMS) && touch _output/local/bin/$(KUBE_BUILD_PLATFORMS)/kube-scheduler && chmod +x _output/local/bin/$(KUBE_BUILD_PLATFORMS)/kube-scheduler\n',
    });
  }
  const build = (dir: string, style: string) => spawnSync('sh', [script, dir, 'kube-scheduler', style, 'linux/arm64'], { encoding: 'utf8' });

  test('v1.24 and later (golang.sh knows DBG): make DBG=1', () => {
    const dir = tree('if [[ "${DBG:-}" == 1 ]]; then gogcflags="all=-N -l"; fi\n');
    const r = build(dir, 'auto');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').pop(), path.join(execFileSync('realpath', [dir], { encoding: 'utf8' }).trim(), '_output/local/bin/linux/arm64/kube-scheduler'));
    assert.equal(execFileSync('cat', [path.join(dir, 'make.log')], { encoding: 'utf8' }).trim(), 'WHAT=cmd/kube-scheduler DBG=1 GOLDFLAGS=[] GOGCFLAGS=[] PLATFORMS=linux/arm64');
    assert.match(r.stderr, /style dbg/);
  });

  test('older trees: GOLDFLAGS="" GOGCFLAGS="all=-N -l", also when asked for explicitly', () => {
    for (const [golang, style] of [['goldflags="${GOLDFLAGS=-s -w}"\n', 'auto'], ['if [[ "${DBG:-}" == 1 ]]; then :; fi\n', 'goflags']] as const) {
      const dir = tree(golang);
      const r = build(dir, style);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(execFileSync('cat', [path.join(dir, 'make.log')], { encoding: 'utf8' }).trim(), 'WHAT=cmd/kube-scheduler DBG= GOLDFLAGS=[] GOGCFLAGS=[all=-N -l] PLATFORMS=linux/arm64');
    }
  });

  test('the kubelet is built static (KUBE_STATIC_OVERRIDES=kubelet), in either style; other components get no override', () => {
    for (const golang of ['if [[ "${DBG:-}" == 1 ]]; then :; fi\n', 'goldflags="${GOLDFLAGS=-s -w}"\n']) {
      const dir = writeTree({
        'hack/lib/golang.sh': golang,
        'cmd/kubelet/main.go': 'package main\n',
        'cmd/kube-proxy/main.go': 'package main\n',
        Makefile: 'all:\n\t@printf "%s STATIC=[%s]\\n" "$(WHAT)" "$(KUBE_STATIC_OVERRIDES)" >> make.log\n\t@mkdir -p _output/local/bin/$(KUBE_BUILD_PLATFORMS) && touch _output/local/bin/$(KUBE_BUILD_PLATFORMS)/$(notdir $(WHAT)) && chmod +x _output/local/bin/$(KUBE_BUILD_PLATFORMS)/$(notdir $(WHAT))\n',
      });
      for (const c of ['kubelet', 'kube-proxy']) assert.equal(spawnSync('sh', [script, dir, c, 'auto', 'linux/arm64'], { encoding: 'utf8' }).status, 0);
      assert.equal(readFileSync(path.join(dir, 'make.log'), 'utf8'), 'cmd/kubelet STATIC=[kubelet]\ncmd/kube-proxy STATIC=[]\n');
    }
  });

  // Like the 1.20 tree's generated_files step: make runs the code generator from _output/bin when
  // it exists and builds it otherwise. An empty, non-executable one (left by a first build that
  // failed) makes every make fail with "Permission denied", as on the real tree.
  function treeWithGenerator(generator: string | undefined, failAfterGenerator = false): string {
    const files: Record<string, string> = {
      'hack/lib/golang.sh': 'goldflags="${GOLDFLAGS=-s -w}"\n',
      'cmd/kube-scheduler/main.go': 'package main\n',
      Makefile:
        'BIN := _output/local/bin/$(KUBE_BUILD_PLATFORMS)\nall:\n\t@echo run >> make.log\n' +
        '\t@test -e _output/bin/prerelease-lifecycle-gen || { mkdir -p $(BIN) && printf \'#!/bin/sh\\n\' > $(BIN)/prerelease-lifecycle-gen && chmod +x $(BIN)/prerelease-lifecycle-gen; }\n' +
        '\t@_output/bin/prerelease-lifecycle-gen\n' +
        (failAfterGenerator ? '\t@echo "compile error" >&2; exit 2\n' : '') +
        '\t@touch $(BIN)/kube-scheduler && chmod +x $(BIN)/kube-scheduler\n',
    };
    if (generator !== undefined) files['_output/local/bin/linux/arm64/prerelease-lifecycle-gen'] = generator;
    const dir = writeTree(files);
    mkdirSync(path.join(dir, '_output/local/bin/linux/arm64'), { recursive: true });
    execFileSync('ln', ['-s', 'local/bin/linux/arm64', path.join(dir, '_output/bin')]);
    return dir;
  }
  const makeRuns = (dir: string) => readFileSync(path.join(dir, 'make.log'), 'utf8').split('\n').filter(Boolean).length;

  test('an empty generator left by an earlier failed build is removed and make runs once more', () => {
    const dir = treeWithGenerator('');
    const r = build(dir, 'goflags');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Permission denied/);
    assert.match(r.stderr, /code generators an earlier failed build left empty or not executable: _output\/bin\/prerelease-lifecycle-gen - removing them and building once more/);
    assert.equal(makeRuns(dir), 2);
    assert.equal(statSync(path.join(dir, '_output/bin/prerelease-lifecycle-gen')).size > 0, true);
    assert.match(r.stdout.trim().split('\n').pop()!, /_output\/local\/bin\/linux\/arm64\/kube-scheduler$/);
  });

  test('a healthy tree is built once; a make that fails for another reason is not retried and says so', () => {
    const healthy = treeWithGenerator(undefined);
    assert.equal(build(healthy, 'goflags').status, 0);
    assert.equal(makeRuns(healthy), 1);
    const broken = treeWithGenerator(undefined, true);
    const r = build(broken, 'goflags');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /compile error/);
    assert.match(r.stderr, /make failed in .* \(see above\)/);
    assert.equal(makeRuns(broken), 1);
    assert.equal(existsSync(path.join(broken, '_output/bin/prerelease-lifecycle-gen')), true, 'a good generator is kept');
    const twice = treeWithGenerator('', true);
    const t = build(twice, 'goflags');
    assert.equal(t.status, 1);
    assert.match(t.stderr, /make failed again in .*: remove its _output folder \(rm -rf _output\) and build again/);
    assert.equal(makeRuns(twice), 2, 'retried once only');
  });

  test('a folder that is not a Kubernetes tree, or a wrong style, is refused with what to set', () => {
    const r = build(writeTree({ 'README.md': 'x' }), 'auto');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not a Kubernetes source tree with cmd\/kube-scheduler: set source_dir to your checkout, or binary to an existing debug build/);
    const s = build(tree('DBG\n'), 'fast');
    assert.equal(s.status, 1);
    assert.match(s.stderr, /build_style must be auto, dbg or goflags, not fast/);
  });
});

describe('check-debug-binary.sh with real Go builds', { skip: existsSync('/usr/bin/go') ? undefined : 'needs golang-go (scripts/install-test-deps.sh)' }, () => {
  const script = path.join(REPO_ROOT, 'playbooks/lib/check-debug-binary.sh');
  const dir = writeTree({ 'go.mod': 'module example.com/x\n\ngo 1.19\n', 'main.go': 'package main\n\nfunc main() {}\n' });
  const env = { ...process.env, GOCACHE: path.join(dir, '.cache'), GOFLAGS: '', GOPROXY: 'off' };
  const built = (name: string, ...flags: string[]): string => {
    const out = path.join(dir, 'out', name);
    mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('go', ['build', ...flags, '-o', out, '.'], { cwd: dir, env, stdio: 'pipe' });
    return out;
  };
  // go is kept off PATH: the check reads the binary itself and needs only node (which runs kplay).
  const noGo = { ...process.env, PATH: path.dirname(process.execPath) + ':/bin' };
  const check = (bin: string, ...more: string[]) => spawnSync('/bin/sh', [script, bin, ...more], { encoding: 'utf8', env: noGo });

  test('a debug build passes and prints the Go version that built it, without go on PATH', () => {
    const r = check(built('debug', '-gcflags=all=-N -l'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim());
    assert.equal(r.stderr, '');
  });

  test('an optimised build and a stripped one are refused with the make command of the tree\'s style and the real component', () => {
    const release = built('release');
    const dbgTree = writeTree({ 'hack/lib/golang.sh': 'if [[ "${DBG:-}" == 1 ]]; then :; fi\n' });
    const oldTree = writeTree({ 'hack/lib/golang.sh': 'goldflags="${GOLDFLAGS=-s -w}"\n' });
    const dbg = check(release, 'kube-scheduler', 'auto', dbgTree);
    assert.equal(dbg.status, 1);
    assert.match(dbg.stderr, /built with optimisations.*Build it with make WHAT=cmd\/kube-scheduler DBG=1, or leave binary empty/);
    const old = check(release, 'kubelet', 'auto', oldTree);
    assert.equal(old.status, 1);
    assert.match(old.stderr, /Build it with make WHAT=cmd\/kubelet GOLDFLAGS="" GOGCFLAGS="all=-N -l", or leave/);
    assert.doesNotMatch(old.stderr, /DBG=1/, 'a tree without DBG is not told to use it');
    // Without a tree to look at, the binary's own Kubernetes version (-X ...version.gitVersion) decides.
    const v120 = check(built('v120', '-ldflags=-X k8s.io/component-base/version.gitVersion=v1.20.2'), 'kube-proxy');
    assert.match(v120.stderr, /make WHAT=cmd\/kube-proxy GOLDFLAGS="" GOGCFLAGS="all=-N -l"/);
    const v130 = check(built('v130', '-ldflags=-X k8s.io/component-base/version.gitVersion=v1.30.1'), 'kube-proxy');
    assert.match(v130.stderr, /make WHAT=cmd\/kube-proxy DBG=1,/);
    const stripped = check(built('stripped', '-gcflags=all=-N -l', '-ldflags=-s -w'), 'kube-apiserver', 'dbg');
    assert.equal(stripped.status, 1);
    assert.match(stripped.stderr, /is stripped \(it has no \.debug_info\).*make WHAT=cmd\/kube-apiserver DBG=1/);
    writeFileSync(path.join(dir, 'text'), 'hello\n');
    const notGo = check(path.join(dir, 'text'));
    assert.equal(notGo.status, 1);
    assert.match(notGo.stderr, /text is not a Go binary \(.*is not an ELF file\)/);
    const cProgram = check('/bin/sh');
    assert.equal(cProgram.status, 1);
    assert.match(cProgram.stderr, /is not a Go binary \(it has no Go build information\)/);
  });

  // Go before 1.18 records no build flags. Only Go 1.19 can be installed here, so the stand-in is a
  // go1.19 debug build whose .go.buildinfo is edited in place as such a build looks: the module text
  // (the build flags with it) emptied and the version string turned into go1.17.9.
  function asGo117(bin: string): string {
    const data = readFileSync(bin);
    const at = data.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'));
    assert.ok(at >= 0 && (data[at + 15]! & 2) === 2, 'a Go 1.18+ .go.buildinfo with inline strings');
    const vlen = data[at + 32]!;
    const version = vlen === 8 ? 'go1.17.9' : 'go1.17.13';
    assert.equal(version.length, vlen, `a version string of 8 or 9 bytes (${data.toString('utf8', at + 33, at + 33 + vlen)})`);
    data.write(version, at + 33, 'latin1');
    // The module text's length becomes 0, written in as many varint bytes as before (0x80 ... 0x00).
    let i = at + 33 + vlen;
    while (data[i]! >= 0x80) data[i++] = 0x80;
    data[i] = 0;
    const out = `${bin}-go1.17`;
    writeFileSync(out, data, { mode: 0o755 });
    return out;
  }

  test('a build by Go < 1.18 (no build flags recorded) passes on its DWARF sections, with a warning; one without DWARF is refused', () => {
    const old = asGo117(built('old-debug', '-gcflags=all=-N -l'));
    const r = check(old, 'kube-apiserver', 'auto');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'go1.17.9');
    assert.match(r.stderr, /^warning: .*old-debug-go1\.17 was built by go1\.17\.9, which records no build flags \(Go older than 1\.18\): it has debug information \(\.debug_info\), but whether it was built without optimisation \(-N -l\) cannot be read\..*rebuild it with make WHAT=cmd\/kube-apiserver GOLDFLAGS="" GOGCFLAGS="all=-N -l"/);
    const strippedOld = check(asGo117(built('old-stripped', '-ldflags=-w')), 'kube-apiserver');
    assert.equal(strippedOld.status, 1);
    assert.match(strippedOld.stderr, /is stripped \(it has no \.debug_info\)/);
  });
});

describe('ide-paths.sh reads the IDE path mapping from the debug binary', { skip: existsSync('/usr/bin/go') && existsSync('/usr/bin/make') ? undefined : 'needs golang-go and make (scripts/install-test-deps.sh)' }, () => {
  const script = path.join(REPO_ROOT, 'playbooks/lib/ide-paths.sh');
  const paths = (bin: string, component: string, checkout: string, env: NodeJS.ProcessEnv = process.env) => spawnSync('/bin/sh', [script, bin, component, checkout], { encoding: 'utf8', env });
  // A stand-in tree in a layout, built as the debug playbooks build it.
  const built = (layout: 'v1.20' | 'v1.29') => {
    const tree = standinTree(layout);
    const b = spawnSync('sh', [path.join(REPO_ROOT, 'playbooks/lib/build-debug.sh'), tree, 'kube-apiserver', 'auto', 'linux/amd64'], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    return { tree, bin: b.stdout.trim().split('\n').pop()! };
  };

  test('before v1.24: the GOPATH link, relative, and one rule per staging repository compiled from vendor/, listed first', () => {
    const { tree, bin } = built('v1.20');
    const r = paths(bin, 'kube-apiserver', tree);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      { from: '${workspaceFolder}/staging/src/k8s.io/apiserver', to: '_output/local/go/src/k8s.io/kubernetes/vendor/k8s.io/apiserver' },
      { from: '${workspaceFolder}', to: '_output/local/go/src/k8s.io/kubernetes' },
    ]);
    assert.equal(r.stderr, '', 'the checkout is the one the binary was built from');
    // Another checkout (here: none at all) is said to be one, while the rules stay the binary's.
    const elsewhere = paths(bin, 'kube-apiserver', writeTree({ 'README.md': 'x' }));
    assert.equal(elsewhere.status, 0, elsewhere.stderr);
    assert.deepEqual(JSON.parse(elsewhere.stdout), [{ from: '${workspaceFolder}', to: '_output/local/go/src/k8s.io/kubernetes' }]);
    assert.match(elsewhere.stderr, /has no cmd\/kube-apiserver\/main\.go: is it the checkout the binary was built from\?/);
  });

  test('v1.24 to v1.29 with DBG=1: the GOPATH link, absolute', () => {
    const { tree, bin } = built('v1.29');
    const r = paths(bin, 'kube-apiserver', tree);
    assert.equal(r.status, 0, r.stderr);
    const gopath = path.join(execFileSync('realpath', [tree], { encoding: 'utf8' }).trim(), '_output/local/go/src/k8s.io/kubernetes');
    assert.deepEqual(JSON.parse(r.stdout), [
      { from: '${workspaceFolder}/staging/src/k8s.io/apiserver', to: `${gopath}/vendor/k8s.io/apiserver` },
      { from: '${workspaceFolder}', to: gopath },
    ]);
  });

  test('a stripped binary, one of another component and a non-Kubernetes one are refused, saying why; without go nothing is read', () => {
    const dir = writeTree({ 'go.mod': 'module example.com/x\n\ngo 1.19\n', 'main.go': 'package main\n\nfunc main() {}\n' });
    const env = { ...process.env, GOFLAGS: '', GOPROXY: 'off' };
    execFileSync('go', ['build', '-ldflags=-s -w', '-o', 'stripped', '.'], { cwd: dir, env, stdio: 'pipe' });
    execFileSync('go', ['build', '-gcflags=all=-N -l', '-o', 'debug', '.'], { cwd: dir, env, stdio: 'pipe' });
    const stripped = paths(path.join(dir, 'stripped'), 'kube-apiserver', dir);
    assert.equal(stripped.status, 1);
    assert.match(stripped.stderr, /stripped has no debug information .*: build it with make WHAT=cmd\/COMPONENT DBG=1/);
    const other = paths(path.join(dir, 'debug'), 'kube-apiserver', dir);
    assert.equal(other.status, 1);
    assert.match(other.stderr, /its package main is .*, not cmd\/kube-apiserver of a Kubernetes tree: set component to the binary's component/);
    const notElf = paths(path.join(dir, 'main.go'), 'kube-apiserver', dir);
    assert.equal(notElf.status, 1);
    assert.match(notElf.stderr, /main\.go is not an ELF binary/);
    const noCheckout = paths(path.join(dir, 'debug'), 'kube-apiserver', path.join(dir, 'missing'));
    assert.equal(noCheckout.status, 1);
    assert.match(noCheckout.stderr, /ide_dir .*missing does not exist: set it to your checkout/);
    const noGo = paths(path.join(dir, 'debug'), 'kube-apiserver', dir, { ...process.env, PATH: '/nonexistent' });
    assert.equal(noGo.status, 0);
    assert.equal(noGo.stdout, '');
    assert.match(noGo.stderr, /go is not installed here, so the IDE's path mapping is not read/);
  });
});

test('an inventory group var "component" cannot turn a debug playbook into a session for another component', () => {
  const dir = writeTree({ 'inv.yaml': 'defaults: {user: root}\nhosts:\n  w1: {address: 127.0.0.2}\ngroups:\n  workers: {hosts: [w1], vars: {component: kubelet, stop_method: systemd}}\n' });
  const steps = plan({ playbook: path.join(REPO_ROOT, 'playbooks/debug-kube-proxy.yaml'), inventory: path.join(dir, 'inv.yaml') }).plan.hosts[0]!.steps;
  assert.match((runs(steps, 'Find the running component').args as { cmd: string }).cmd, /\^\(\\S\*\/\)\?kube-proxy\( \|\$\)/);
  assert.ok(runs(steps, 'Keep the DaemonSet off this node (affinity)'));
  assert.equal(steps.find((s) => s.name === 'Stop the unit')!.action, 'skip');
});
