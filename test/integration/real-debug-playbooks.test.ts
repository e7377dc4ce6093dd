// End to end on the REAL Kubernetes 1.20.2 control plane (test/support/real-control-plane.ts): the
// shipped debug playbooks, driven through the real kplay CLI over real OpenSSH into the node, build the
// component from Debian's 1.20.2 tree themselves (build_style=auto picks the old tree's goflags build),
// run it under Delve with the flags kubeadm's manifest gave it, and a Delve client through kplay's tunnel
// sets a breakpoint on a CHECKOUT file translated through the written launch.json, hit by a real request
// made with the real kubectl. Ctrl-C puts the node back: exit 0, no dlv, manifest byte-identical, the
// original release binary running with its original flags, and healthy.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import type { DebugRun } from '../support/debug-session.js';
import { k8sTree, k8sTreeUnavailable } from '../support/k8s-tree.js';
import type { K8sTree } from '../support/k8s-tree.js';
import { startRealControlPlane } from '../support/real-control-plane.js';
import { kubeProxyHealthz, startKubeProxy } from '../support/real-kube-proxy.js';
import type { RealControlPlane } from '../support/real-control-plane.js';
import { breakAt, checkoutLine, endSession, removeEmptyIdeFolders, startRealSession } from '../support/real-debug-session.js';

const unavailable = k8sTreeUnavailable() ?? (existsSync('/usr/bin/dlv') ? undefined : 'needs delve (scripts/install-test-deps.sh)');
const MACHINE = ['/etc/kubernetes', '/var/lib/kubelet', '/var/lib/kube-proxy'].map((p) => [p, existsSync(p)]);

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

type StaticComponent = 'kube-apiserver' | 'kube-scheduler' | 'kube-controller-manager';

async function until(ok: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(500);
  }
}

interface Before {
  pid: number;
  cmdline: string[];
  manifestSha: string;
}

function snapshot(cp: RealControlPlane, c: StaticComponent): Before {
  const pids = cp.pids(c);
  assert.equal(pids.length, 1, `one ${c} runs before the session`);
  return { pid: pids[0]!, cmdline: cp.cmdline(pids[0]!), manifestSha: sha(cp.hostPath(`/etc/kubernetes/manifests/${c}.yaml`)) };
}

/** What every session checks while it holds: the debug build runs under Delve with exactly the captured flags. */
function assertDebugging(cp: RealControlPlane, c: StaticComponent, b: Before, run: DebugRun): void {
  const debug = cp.pids(c);
  assert.equal(debug.length, 1, `one ${c} runs during the session: ${debug}`);
  const argv = cp.cmdline(debug[0]!);
  assert.equal(argv[0], path.join(run.remoteDir, c));
  assert.deepEqual(argv.slice(1), b.cmdline.slice(1), "exactly the flags kubeadm's manifest gave it");
  assert.equal(existsSync(cp.hostPath(`/etc/kubernetes/manifests/${c}.yaml`)), false, 'the manifest is out of the kubelet folder');
  assert.match(cp.exec('pgrep -a -x dlv').stdout, new RegExp(`dlv exec ${run.remoteDir}/${c} --headless --listen=127\\.0\\.0\\.1:${run.dlvPort}`));
  assert.match(run.output(), /\(style goflags\)/, 'build_style=auto chose the goflags build for the 1.20 tree');
}

/** After Ctrl-C: exit 0, no dlv, the manifest byte-identical, the original binary with its flags, no IDE files left. */
async function assertRestored(cp: RealControlPlane, c: StaticComponent, b: Before, run: DebugRun, tree: K8sTree, exit: { code: number | null; out: string }): Promise<void> {
  assert.equal(exit.code, 0, exit.out);
  assert.equal(cp.exec('pgrep -a -x dlv').stdout.trim(), '', 'no dlv left on the node');
  assert.equal(sha(cp.hostPath(`/etc/kubernetes/manifests/${c}.yaml`)), b.manifestSha, 'the manifest is byte-identical');
  await until(() => cp.pids(c).length === 1, `${c} runs again`);
  const pid = cp.pids(c)[0]!;
  assert.notEqual(pid, b.pid);
  assert.deepEqual(cp.cmdline(pid), b.cmdline, `the original ${c} (/usr/local/bin, the release build) runs with its original command line`);
  assert.equal(existsSync(path.join(tree.dir, '.vscode')), false, 'the IDE settings written into the checkout are gone');
  assert.equal(existsSync(run.remoteDir), false, 'the uploads were removed');
  assert.equal(existsSync(cp.hostPath('/etc/kubernetes/kplay-backup')), false, 'no backup folder left');
}

describe('shipped debug playbooks on the real Kubernetes 1.20.2 control plane', { skip: unavailable, timeout: 7_200_000 }, () => {
  let cp: RealControlPlane;
  let tree: K8sTree;
  let work: string;
  before(async () => {
    tree = await k8sTree();
    removeEmptyIdeFolders(tree);
    cp = await startRealControlPlane({ ssh: true });
    await startKubeProxy(cp);
    work = mkdtempSync(path.join(tmpdir(), 'kplay-real-e2e-'));
  });
  after(async () => {
    await cp?.close();
    assert.deepEqual(cp?.processesLeft() ?? [], [], 'no process of the node is left');
    if (work) rmSync(work, { recursive: true, force: true });
    assert.deepEqual(MACHINE.map(([p]) => [p, existsSync(p as string)]), MACHINE, 'the machine keeps no folder of the node');
  });

  const session = (c: StaticComponent) => startRealSession(cp, tree, c, mkdtempSync(path.join(work, `${c}-`)));

  test('debug-apiserver.yaml: a breakpoint on staging healthz.go is hit by kubectl get --raw /livez; etcd keeps its keys', async () => {
    const b = snapshot(cp, 'kube-apiserver');
    cp.kubectl(['create', 'configmap', 'kept', '--from-literal=k=v']);
    const run = await session('kube-apiserver');
    let exit: { code: number | null; out: string };
    try {
      await run.attached(3_600_000);
      assertDebugging(cp, 'kube-apiserver', b, run);
      const bp = checkoutLine(tree.dir, 'staging/src/k8s.io/apiserver/pkg/server/healthz/healthz.go', 'excluded := getExcludedChecks(r)');
      const livez = () => cp.execAsync('kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /livez', 180_000);
      const held = await breakAt(run, tree, bp, livez);
      const { at, triggered } = held;
      assert.match(at.function, /healthz\.handleRootHealth\.func1$/);
      // While it is held, kubectl waits; once continued, both requests are answered.
      const nodes = cp.execAsync('kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes', 180_000);
      let answered = false;
      void nodes.then(() => (answered = true));
      await sleep(2000);
      assert.equal(answered, false, 'kubectl get nodes waits while the apiserver is stopped at the breakpoint');
      await held.release();
      const [l, n] = (await Promise.all([triggered, nodes])) as { code: number | null; stdout: string; stderr: string }[];
      assert.equal(l!.code, 0, l!.stderr);
      assert.equal(l!.stdout.trim(), 'ok');
      assert.equal(n!.code, 0, n!.stderr);
    } finally {
      exit = await endSession(run);
    }
    await assertRestored(cp, 'kube-apiserver', b, run, tree, exit);
    await until(() => cp.exec('kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /livez').stdout.trim() === 'ok', 'the original apiserver is live');
    assert.equal(cp.kubectl(['get', 'configmap', 'kept', '-o', 'jsonpath={.data.k}']), 'v', 'the real etcd kept its keys through the session');
  });

  /** Sessions that differ only in where they break, what hits it and where the original answers health checks. */
  const CONTROLLERS = [
    {
      name: 'debug-scheduler.yaml: a breakpoint in scheduleOne is hit by kubectl run',
      component: 'kube-scheduler',
      bp: ['pkg/scheduler/scheduler.go', 'pod := podInfo.Pod', 'func (sched *Scheduler) scheduleOne('],
      trigger: 'run sched-probe --image=example.invalid/p:1 --restart=Never',
      fn: /\(\*Scheduler\)\.scheduleOne$/,
      healthz: 'https://127.0.0.1:10259/healthz',
    },
    {
      name: "debug-controller-manager.yaml: a breakpoint in the deployment controller's sync is hit by kubectl create deployment",
      component: 'kube-controller-manager',
      bp: ['pkg/controller/deployment/deployment_controller.go', 'startTime := time.Now()', 'func (dc *DeploymentController) syncDeployment('],
      trigger: 'create deployment cm-probe --image=example.invalid/d:1',
      fn: /\(\*DeploymentController\)\.syncDeployment$/,
      healthz: 'https://127.0.0.1:10257/healthz',
    },
  ] as const;

  for (const c of CONTROLLERS) {
    test(c.name, async () => {
      const b = snapshot(cp, c.component);
      const run = await session(c.component);
      let exit: { code: number | null; out: string };
      try {
        await run.attached(3_600_000);
        assertDebugging(cp, c.component, b, run);
        const bp = checkoutLine(tree.dir, c.bp[0], c.bp[1], c.bp[2]);
        const held = await breakAt(run, tree, bp, () => cp.execAsync(`kubectl --kubeconfig /etc/kubernetes/admin.conf ${c.trigger}`));
        assert.match(held.at.function, c.fn);
        await held.release();
      } finally {
        exit = await endSession(run);
      }
      await assertRestored(cp, c.component, b, run, tree, exit);
      await until(() => cp.exec(`curl -ksf ${c.healthz}`).code === 0, `the original ${c.component} is healthy`);
    });
  }

  test('debug-kube-proxy.yaml: the label and affinity go onto the real Node and DaemonSet and come off again; the DaemonSet spec is back byte for byte', async () => {
    const ds = () => JSON.parse(cp.kubectl(['-n', 'kube-system', 'get', 'daemonset', 'kube-proxy', '-o', 'json'])) as { spec: { template: { spec: { affinity?: unknown } } } };
    const labels = () => (JSON.parse(cp.kubectl(['get', 'node', 'cp1', '-o', 'json'])) as { metadata: { labels: Record<string, string> } }).metadata.labels;
    const specBefore = JSON.stringify(ds().spec);
    const labelsBefore = labels();
    const [pid] = cp.pids('kube-proxy');
    assert.ok(pid, "the DaemonSet's kube-proxy runs on the node");
    const cmdline = cp.cmdline(pid!);
    // The node's name in the cluster is cp1; kplay knows the node as lab host h1.
    const run = await startRealSession(cp, tree, 'kube-proxy', mkdtempSync(path.join(work, 'kube-proxy-')), { extraVars: ['node_name=cp1'] });
    let exit: { code: number | null; out: string };
    try {
      await run.attached(3_600_000);
      assert.equal(labels()['kplay.io/debug'], 'true', 'the real Node carries the debug label');
      assert.deepEqual(ds().spec.template.spec.affinity, {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kplay.io/debug', operator: 'DoesNotExist' }] }] } },
      });
      // The real DaemonSet controller took its pod off the node; the debug build runs in its place.
      assert.equal(cp.kubectl(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-proxy', '--field-selector', 'spec.nodeName=cp1', '-o', 'name']).trim(), '');
      const debug = cp.pids('kube-proxy');
      assert.equal(debug.length, 1);
      const argv = cp.cmdline(debug[0]!);
      assert.equal(argv[0], path.join(run.remoteDir, 'kube-proxy'));
      assert.deepEqual(argv.slice(1), cmdline.slice(1), "exactly the pod's flags, $(NODE_NAME) expanded");
      assert.match(run.output(), /\(style goflags\)/);
      const bp = checkoutLine(tree.dir, 'pkg/proxy/healthcheck/proxier_health.go', 'if val := h.hs.lastQueued.Load(); val != nil {', 'func (h healthzHandler) ServeHTTP(');
      const held = await breakAt(run, tree, bp, () => cp.execAsync('curl -s -o /dev/null -w %{http_code} --max-time 120 http://127.0.0.1:10256/healthz', 180_000));
      assert.match(held.at.function, /healthcheck\.healthzHandler\.ServeHTTP$/);
      await held.release();
      assert.equal(((await held.triggered) as { stdout: string }).stdout, '200', 'the held health request is answered by the debug build');
    } finally {
      exit = await endSession(run);
    }
    assert.equal(exit.code, 0, exit.out);
    assert.equal(cp.exec('pgrep -a -x dlv').stdout.trim(), '', 'no dlv left on the node');
    assert.equal(JSON.stringify(ds().spec), specBefore, "the DaemonSet's spec is back byte for byte");
    assert.deepEqual(labels(), labelsBefore, "the Node's labels are as they were");
    await until(() => cp.pids('kube-proxy').length === 1 && kubeProxyHealthz(cp) === '200', 'the DaemonSet runs its kube-proxy on the node again, healthy');
    const after = cp.pids('kube-proxy')[0]!;
    assert.notEqual(after, pid);
    assert.deepEqual(cp.cmdline(after), cmdline, 'the release kube-proxy runs with its original command line');
    assert.equal(existsSync(path.join(tree.dir, '.vscode')), false);
    assert.equal(existsSync(run.remoteDir), false, 'the uploads were removed');
  });
  test("kube-proxy mode and iptables backend: proxy-tools.sh reads the real kube-proxy's config and finds its KUBE- chains in the backend of the node's iptables", () => {
    const [pid] = cp.pids('kube-proxy');
    assert.ok(pid, "the DaemonSet's kube-proxy runs on the node");
    // As the playbook runs it (sh -c with the script's text): the node need not see the checkout.
    const r = cp.exec(`set -- ${pid}\n${readFileSync(new URL('../../playbooks/lib/proxy-tools.sh', import.meta.url), 'utf8')}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kube-proxy mode: iptables \(its config file \/var\/lib\/kube-proxy\/config\.conf\); found: \/\S*iptables$/m, 'the mode kubeadm wrote into the ConfigMap');
    const version = cp.exec('iptables -V').stdout.trim();
    assert.ok(r.stdout.includes(`iptables: ${version}, the backend the running kube-proxy's KUBE- chains are in`), r.stdout);
  });

  test('debug-apiserver.yaml on a hardened apiserver (--anonymous-auth=false: /livez answers 401) with proxy variables in its manifest: launches, is healthy, restores; the debug build has that environment and runs from /', async () => {
    const manifest = cp.hostPath('/etc/kubernetes/manifests/kube-apiserver.yaml');
    const original = readFileSync(manifest);
    const pod = parse(original.toString('utf8')) as { spec: { containers: { command: string[]; env?: { name: string; value: string }[] }[] } };
    const c = pod.spec.containers[0]!;
    c.command.push('--anonymous-auth=false');
    // kubeadm copies the host's *_proxy variables into the manifests; GODEBUG is a harmless one of the Go runtime.
    c.env = [...(c.env ?? []), { name: 'NO_PROXY', value: '10.96.0.0/12,10.250.0.0/24,.svc' }, { name: 'GODEBUG', value: 'madvdontneed=1' }];
    const hardened = async () => {
      await until(() => cp.pids('kube-apiserver').some((p) => cp.cmdline(p).includes('--anonymous-auth=false')), 'the kubelet runs the hardened apiserver');
      await until(() => cp.exec('kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /livez').stdout.trim() === 'ok', 'it is live for kubectl');
    };
    writeFileSync(manifest, stringify(pod));
    try {
      await hardened();
      assert.equal(cp.exec('curl -ks -o /dev/null -w %{http_code} https://10.250.0.10:6443/livez').stdout, '401', 'an anonymous /livez is refused, as on a CIS-hardened cluster');
      const b = snapshot(cp, 'kube-apiserver');
      const run = await session('kube-apiserver');
      let exit: { code: number | null; out: string };
      try {
        await run.attached(3_600_000);
        assertDebugging(cp, 'kube-apiserver', b, run);
        assert.match(run.output(), /Wait until the debug build is healthy/);
        const debug = cp.pids('kube-apiserver')[0]!;
        const environ = cp.exec(`tr '\\0' '\\n' < /proc/${debug}/environ`).stdout.split('\n');
        assert.ok(environ.includes('NO_PROXY=10.96.0.0/12,10.250.0.0/24,.svc'), `the manifest's NO_PROXY reaches the debug build: ${environ.join(' ')}`);
        assert.ok(environ.includes('GODEBUG=madvdontneed=1'), 'and its GODEBUG');
        assert.equal(cp.exec(`readlink /proc/${debug}/cwd`).stdout.trim(), '/', 'it runs from /');
        assert.match(run.output(), new RegExp(`output goes to ${run.remoteDir}/kube-apiserver-dlv\\.log`), 'the hold says where its output goes');
      } finally {
        exit = await endSession(run);
      }
      await assertRestored(cp, 'kube-apiserver', b, run, tree, exit);
      assert.match(exit.out, /Wait until the original component is healthy again/);
    } finally {
      writeFileSync(manifest, original);
      await until(() => cp.pids('kube-apiserver').some((p) => !cp.cmdline(p).includes('--anonymous-auth=false')), 'the apiserver runs with its original manifest again');
      await until(() => cp.exec('kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /livez').stdout.trim() === 'ok', 'and is live');
    }
  });
});
