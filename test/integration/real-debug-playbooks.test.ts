// End to end on the REAL Kubernetes 1.20.2 control plane (test/support/real-control-plane.ts): the
// shipped debug playbooks, driven through the real kplay CLI over real OpenSSH into the node, build the
// component from Debian's 1.20.2 tree themselves (build_style=auto picks the old tree's goflags build),
// run it under Delve with the flags kubeadm's manifest gave it, and a Delve client through kplay's tunnel
// sets a breakpoint on a CHECKOUT file translated through the written launch.json, hit by a real request
// made with the real kubectl. Ctrl-C puts the node back: exit 0, no dlv, manifest byte-identical, the
// original release binary running with its original flags, and healthy.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import type { DebugRun } from '../support/debug-session.js';
import { k8sTree, k8sTreeUnavailable, releaseBinaries } from '../support/k8s-tree.js';
import type { K8sTree } from '../support/k8s-tree.js';
import { startRealControlPlane } from '../support/real-control-plane.js';
import { assertServiceAccountKubeconfig, assertTokenNowhere } from '../support/proxy-credentials.js';
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
  /** -e vars for kplay's kubectl calls on the controller: the tree's kubectl 1.20, admin.conf's credentials. */
  let controller: string[];
  before(async () => {
    tree = await k8sTree();
    removeEmptyIdeFolders(tree);
    cp = await startRealControlPlane({ ssh: true });
    await startKubeProxy(cp);
    work = mkdtempSync(path.join(tmpdir(), 'kplay-real-e2e-'));
    controller = [`kubectl=${(await releaseBinaries(['kubectl'])).kubectl}`, `kubeconfig=${await cp.controllerKubeconfig()}`];
  });
  after(async () => {
    await cp?.close();
    assert.deepEqual(cp?.processesLeft() ?? [], [], 'no process of the node is left');
    if (work) rmSync(work, { recursive: true, force: true });
    assert.deepEqual(MACHINE.map(([p]) => [p, existsSync(p as string)]), MACHINE, 'the machine keeps no folder of the node');
  });

  const session = (c: StaticComponent, extraVars: string[] = []) => startRealSession(cp, tree, c, mkdtempSync(path.join(work, `${c}-`)), { extraVars: [...controller, ...extraVars] });

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
      // The playbook's health check counts an anonymous 403 as alive (hardened clusters answer nothing else), and
      // a starting apiserver answers 403 until its RBAC cache is filled, while its post-start hooks (which /livez
      // reports to admin.conf) may still run on a loaded machine. Wait for them before /livez is expected to say ok.
      await until(async () => (await livez()).stdout.trim() === 'ok', 'the debug build finished its post-start hooks', 300_000);
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
        // The stopped instance's lease runs out within 15 s, and the debug build (a standby until then) takes it.
        assert.match(run.output(), new RegExp(`the leader lock kube-system/${c.component} \\(endpointsleases\\) is held by the debug build \\(cp1_[0-9a-f-]+\\)`));
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

  test('leader election: another kube-scheduler that keeps the lock makes leader_elect=false refused before anything changes, and the session warns that breakpoints wait for the lock', async () => {
    const holder = () => cp.kubectl(['-n', 'kube-system', 'get', 'lease', 'kube-scheduler', '-o', 'jsonpath={.spec.holderIdentity}']);
    const other = await startOtherScheduler(cp, work);
    const manifest = cp.hostPath('/etc/kubernetes/manifests/kube-scheduler.yaml');
    const aside = path.join(cp.dir, 'kube-scheduler.yaml');
    try {
      // The other instance (on the machine, so named after its hostname) takes the lock while the node's
      // scheduler is away; back, the node's scheduler is a standby.
      renameSync(manifest, aside);
      await until(() => holder().startsWith(`${hostname()}_`), 'the other kube-scheduler holds the lock', 90_000);
      renameSync(aside, manifest);
      await until(() => cp.pids('kube-scheduler').length === 1 && cp.exec('curl -ksf https://127.0.0.1:10259/healthz').code === 0, "the node's scheduler runs again");
      const b = snapshot(cp, 'kube-scheduler');

      const refused = await session('kube-scheduler', ['leader_elect=false']);
      const r = await refused.exited;
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, new RegExp(`${hostname()}_[0-9a-f-]+, another kube-scheduler, holds the leader lock kube-system/kube-scheduler \\(endpointsleases\\) and keeps renewing it .*with leader_elect=false the debug build would act beside it`));
      assert.doesNotMatch(r.out, /Build the component with debug information \.\.\. (ok|changed)/, 'refused before the build');
      assert.deepEqual(cp.pids('kube-scheduler'), [b.pid], 'the scheduler was not touched');
      assert.equal(sha(manifest), b.manifestSha);
      assert.equal(existsSync(refused.remoteDir), false, 'nothing was uploaded');

      const run = await session('kube-scheduler');
      let exit: { code: number | null; out: string };
      try {
        await run.attached(3_600_000);
        assertDebugging(cp, 'kube-scheduler', b, run);
        const warning = new RegExp(`warning: ${hostname()}_[0-9a-f-]+, another kube-scheduler, holds the leader lock kube-system/kube-scheduler \\(endpointsleases\\) and keeps renewing it .*breakpoints in code only the leader runs will not be hit`);
        assert.match(run.output(), warning);
        assert.match(run.output().split('\n').find((l) => l.includes('holding until Ctrl-C')) ?? '', warning, 'the hold message says it too');
        assert.ok(holder().startsWith(`${hostname()}_`), 'the other instance still leads');
      } finally {
        exit = await endSession(run);
      }
      await assertRestored(cp, 'kube-scheduler', b, run, tree, exit);
    } finally {
      if (existsSync(aside)) renameSync(aside, manifest);
      await other.stop();
    }
  });

  test("debug-kube-proxy.yaml on a node without kubectl or admin.conf: kubectl runs on the controller, the host-run kube-proxy has its service account's token (and nothing of admin.conf), the label and affinity come off again and the DaemonSet spec is back byte for byte", async () => {
    const ds = () => JSON.parse(cp.kubectl(['-n', 'kube-system', 'get', 'daemonset', 'kube-proxy', '-o', 'json'])) as { spec: { template: { spec: { affinity?: unknown } } } };
    const labels = () => (JSON.parse(cp.kubectl(['get', 'node', 'cp1', '-o', 'json'])) as { metadata: { labels: Record<string, string> } }).metadata.labels;
    const specBefore = JSON.stringify(ds().spec);
    const labelsBefore = labels();
    const proxyFilesBefore = proxyFiles(cp);
    const [pid] = cp.pids('kube-proxy');
    assert.ok(pid, "the DaemonSet's kube-proxy runs on the node");
    const cmdline = cp.cmdline(pid!);
    assert.ok(cmdline.includes('--hostname-override=cp1'), 'the kubelet expanded $(NODE_NAME)');
    const workDir = mkdtempSync(path.join(work, 'kube-proxy-'));
    // kplay knows the node as lab host h1 and is not told its cluster name (cp1): it comes from
    // --hostname-override. The node looks like a worker to kplay: no kubectl, no admin.conf.
    const showAgain = cp.asWorkerForSessions();
    let exit: { code: number | null; out: string };
    let token = '';
    let run: DebugRun | undefined;
    try {
      assert.equal(overSsh(cp, 'command -v kubectl || echo no kubectl; test -e /etc/kubernetes/admin.conf || echo no admin.conf'), 'no kubectl\nno admin.conf\n', 'a login on the node finds neither');
      run = await startRealSession(cp, tree, 'kube-proxy', workDir, { extraVars: controller });
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
      token = assertProxyCredentials(cp);
      await assertProxyUsesToken(cp);
      const bp = checkoutLine(tree.dir, 'pkg/proxy/healthcheck/proxier_health.go', 'if val := h.hs.lastQueued.Load(); val != nil {', 'func (h healthzHandler) ServeHTTP(');
      const held = await breakAt(run, tree, bp, () => cp.execAsync('curl -s -o /dev/null -w %{http_code} --max-time 120 http://127.0.0.1:10256/healthz', 180_000));
      assert.match(held.at.function, /healthcheck\.healthzHandler\.ServeHTTP$/);
      await held.release();
      assert.equal(((await held.triggered) as { stdout: string }).stdout, '200', 'the held health request is answered by the debug build');
      assert.equal(cp.exec(`grep -c -F -- '${token}' ${run.remoteDir}/kube-proxy-dlv.log`).stdout.trim(), '0', "the token is not in Delve's or kube-proxy's log");
    } finally {
      exit = run ? await endSession(run) : { code: null, out: '' };
      showAgain();
    }
    assert.equal(exit.code, 0, exit.out);
    assert.equal(cp.exec('pgrep -a -x dlv').stdout.trim(), '', 'no dlv left on the node');
    assert.equal(JSON.stringify(ds().spec), specBefore, "the DaemonSet's spec is back byte for byte");
    assert.deepEqual(labels(), labelsBefore, "the Node's labels are as they were");
    await until(() => cp.pids('kube-proxy').length === 1 && kubeProxyHealthz(cp) === '200', 'the DaemonSet runs its kube-proxy on the node again, healthy');
    const after = cp.pids('kube-proxy')[0]!;
    assert.notEqual(after, pid);
    assert.deepEqual(cp.cmdline(after), cmdline, 'the release kube-proxy runs with its original command line');
    assert.deepEqual(proxyFiles(cp), proxyFilesBefore, '/var/lib/kube-proxy holds what it held before, byte for byte');
    assert.equal(existsSync(path.join(tree.dir, '.vscode')), false);
    assert.equal(existsSync(run!.remoteDir), false, 'the uploads were removed');
    assertTokenNowhere(token, { "kplay's output": exit.out }, [path.join(workDir, 'state'), '/var/lib/kplay']);
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

/** sha256 of each file under the node's /var/lib/kube-proxy, by path. */
function proxyFiles(cp: RealControlPlane): Record<string, string> {
  const r = cp.exec('cd /var/lib/kube-proxy && find . -type f -exec sha256sum {} + | sort -k 2');
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries(r.stdout.trim().split('\n').filter(Boolean).map((l) => [l.slice(66), l.slice(0, 64)]));
}

/** The kubeconfig kplay wrote for kube-proxy: a token of its service account, the cluster CA, nothing of admin.conf. */
function assertProxyCredentials(cp: RealControlPlane): string {
  const file = '/var/lib/kube-proxy/kubeconfig.conf';
  const cm = JSON.parse(cp.kubectl(['-n', 'kube-system', 'get', 'configmap', 'kube-proxy', '-o', 'json'])) as { data: Record<string, string> };
  const caPem = cp.kubectl(['-n', 'kube-system', 'get', 'configmap', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}']);
  const token = assertServiceAccountKubeconfig({
    text: cp.exec(`cat ${file}`).stdout,
    mode: cp.exec(`stat -c %a ${file}`).stdout.trim(),
    caPem,
    server: /server: (\S+)/.exec(cm.data['kubeconfig.conf']!)![1]!,
    account: 'kube-system:kube-proxy',
  });
  // No file there holds anything of admin.conf's credentials.
  const admin = readFileSync(cp.hostPath('/etc/kubernetes/admin.conf'), 'utf8');
  const key = /client-key-data: (\S+)/.exec(admin)![1]!;
  assert.equal(cp.exec(`grep -r -l -F -e '${key.slice(0, 64)}' -e kubernetes-admin /var/lib/kube-proxy`).stdout.trim(), '', 'no admin.conf content in /var/lib/kube-proxy');
  return token;
}

/**
 * The token has exactly kube-proxy's permissions (it can list what kube-proxy lists, and nothing an
 * admin could), and the host-run kube-proxy works with it: a Service made now gets its rules.
 */
async function assertProxyUsesToken(cp: RealControlPlane): Promise<void> {
  const canI = (verb: string, what: string) => cp.exec(`kubectl --kubeconfig /var/lib/kube-proxy/kubeconfig.conf auth can-i ${verb} ${what}`).stdout.trim();
  assert.equal(canI('list', 'endpointslices.discovery.k8s.io'), 'yes');
  assert.equal(canI('list', 'services'), 'yes');
  assert.equal(canI('create', 'pods'), 'no');
  assert.equal(canI('get', 'secrets -n kube-system'), 'no');
  cp.kubectl(['create', 'service', 'clusterip', 'kplay-proxy-probe', '--tcp=80:80']);
  try {
    await until(() => cp.exec('iptables-save').stdout.includes('default/kplay-proxy-probe'), "the debug kube-proxy, with the service account's token, writes the new Service's rules", 60_000);
  } finally {
    cp.kubectl(['delete', 'service', 'kplay-proxy-probe']);
  }
}

/**
 * A second kube-scheduler (the release build) on the machine with the node's scheduler.conf, reaching the
 * apiserver through the relay: a real other instance taking part in the leader election under the
 * machine's hostname. It serves nothing (--port=0, --secure-port=0); its log goes to WORK/other-scheduler.log.
 */
async function startOtherScheduler(cp: RealControlPlane, work: string): Promise<{ stop(): Promise<void> }> {
  const bin = (await releaseBinaries(['kube-scheduler']))['kube-scheduler'];
  const kubeconfig = await cp.controllerKubeconfig('scheduler.conf');
  const log = openSync(path.join(work, 'other-scheduler.log'), 'w');
  const child = spawn(bin, [`--kubeconfig=${kubeconfig}`, '--leader-elect=true', '--port=0', '--secure-port=0'], { stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await sleep(2000);
  assert.equal(child.exitCode, null, `the other kube-scheduler runs: ${readFileSync(path.join(work, 'other-scheduler.log'), 'utf8').slice(-2000)}`);
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A command run by sh on the node through its sshd, as kplay runs its tasks; its stdout. */
function overSsh(cp: RealControlPlane, script: string): string {
  const h = cp.lab!.hosts[0]!;
  const r = spawnSync('ssh', ['-F', '/dev/null', '-i', cp.lab!.clientKey, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${cp.lab!.knownHosts}`, '-p', String(h.port), `root@${h.address}`, `sh -c ${shq(script)}`], {
    encoding: 'utf8',
    env: { ...process.env, SSH_AUTH_SOCK: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
