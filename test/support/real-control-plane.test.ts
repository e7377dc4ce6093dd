// The real Kubernetes 1.20 control plane the end-to-end tests build on: kubeadm's own files, etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler running with their manifests' commands.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { k8sTreeUnavailable, releaseBinaries } from './k8s-tree.js';
import { NODE_ADDRESS, startRealControlPlane, STATIC_PODS } from './real-control-plane.js';
import type { RealControlPlane } from './real-control-plane.js';

const MACHINE = ['/etc/kubernetes', '/var/lib/kubelet'].map((p) => [p, existsSync(p)]);

/** The command line of the node's process whose argv[0] ends in `name`. */
function processArgv(cp: RealControlPlane, name: string): string[] {
  const out = cp.exec(`for p in /proc/[0-9]*; do a=$(tr '\\0' '\\n' < $p/cmdline 2>/dev/null | head -n1); case "$a" in */${name}|${name}) tr '\\0' '\\n' < $p/cmdline; exit 0;; esac; done; exit 1`);
  assert.equal(out.code, 0, `no ${name} process in the node`);
  return out.stdout.replace(/\n$/, '').split('\n');
}

function runAsync(cmd: string, args: string[], o: { timeout: number; encoding?: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: o.timeout, encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

async function until(ok: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('real control plane (Kubernetes 1.20.2 from Debian)', { skip: k8sTreeUnavailable(), timeout: 3_600_000 }, () => {
  let cp: RealControlPlane;
  before(async () => {
    cp = await startRealControlPlane({ ssh: true });
  });
  after(async () => {
    const dir = cp?.dir;
    await cp?.close();
    if (dir) assert.equal(existsSync(dir), false);
    // Nothing of the node is left running (it would keep the test runner waiting).
    assert.equal(cp?.running(), false);
    assert.deepEqual(cp?.processesLeft(), [], 'no process of the node is left');
    assert.deepEqual(['/etc/kubernetes', '/var/lib/kubelet'].map((p) => [p, existsSync(p)]), MACHINE, 'the machine keeps no folder of the node');
  });

  test("kubeadm wrote the node's PKI, kubeconfigs and the four static-pod manifests", () => {
    assert.deepEqual(readdirSync(cp.hostPath('/etc/kubernetes/manifests')).sort(), STATIC_PODS.map((p) => `${p}.yaml`).sort());
    for (const f of ['admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf', 'pki/ca.crt', 'pki/apiserver.crt', 'pki/etcd/ca.crt']) {
      assert.ok(existsSync(cp.hostPath(`/etc/kubernetes/${f}`)), f);
    }
    const apiserver = cp.command('kube-apiserver');
    assert.equal(apiserver[0], 'kube-apiserver');
    assert.ok(apiserver.includes(`--advertise-address=${NODE_ADDRESS}`));
    assert.match(readFileSync(cp.hostPath('/etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8'), /image: k8s\.gcr\.io\/kube-apiserver:v1\.20\.2/);
  });

  test('each component runs with exactly its manifest\'s command', () => {
    for (const pod of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const) {
      const running = processArgv(cp, pod);
      assert.deepEqual(running.slice(1), cp.command(pod).slice(1), pod);
    }
    assert.deepEqual(processArgv(cp, 'etcd').slice(1), cp.command('etcd').slice(1));
  });

  test('the stand-in kubelet stops a static pod when its manifest leaves, and starts it again when it is back', async () => {
    const manifest = cp.hostPath('/etc/kubernetes/manifests/kube-scheduler.yaml');
    const [before] = cp.pids('kube-scheduler');
    assert.ok(before, 'the scheduler runs');
    const aside = `${cp.dir}/kube-scheduler.yaml`;
    renameSync(manifest, aside);
    try {
      await until(() => cp.pids('kube-scheduler').length === 0, 'the scheduler stopped');
    } finally {
      renameSync(aside, manifest);
    }
    await until(() => cp.pids('kube-scheduler').length === 1, 'the scheduler runs again');
    assert.notEqual(cp.pids('kube-scheduler')[0], before);
    assert.deepEqual(cp.cmdline(cp.pids('kube-scheduler')[0]!).slice(1), cp.command('kube-scheduler').slice(1));
  });

  test("the node's PID 1 reaps the processes left to it, as a real init does", async () => {
    const r = cp.exec('(sleep 0.2 &); sleep 1; ps -e -o stat=,comm= | grep "^Z" || true');
    assert.equal(r.stdout.trim(), '', 'no zombie in the node');
  });

  test('an ssh client on the machine reaches the node through the lab host h1', async () => {
    const lab = cp.lab!;
    const h = lab.host('h1');
    const r = await runAsync('ssh', ['-i', lab.clientKey, '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(h.port), `root@${h.address}`, 'hostname; ip -4 -o addr show kplay0'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const [name, addr] = r.stdout.trim().split('\n');
    assert.equal(name, 'cp1');
    assert.match(addr!, new RegExp(`inet ${NODE_ADDRESS.replaceAll('.', '\\.')}/24`));
  });

  test("the machine, as a controller, reaches the apiserver through the relay with the tree's kubectl and a node credential", async () => {
    const kubectl = (await releaseBinaries(['kubectl'])).kubectl;
    for (const [from, user] of [['admin.conf', 'kubernetes-admin'], ['scheduler.conf', 'system:kube-scheduler']] as const) {
      const r = await runAsync(kubectl, ['--kubeconfig', await cp.controllerKubeconfig(from), 'auth', 'can-i', 'update', 'leases/kube-scheduler', '-n', 'kube-system'], { timeout: 30_000 });
      assert.deepEqual([r.code, r.stdout.trim()], [0, 'yes'], `${user}: ${r.stderr}`);
    }
    const denied = await runAsync(kubectl, ['--kubeconfig', await cp.controllerKubeconfig('scheduler.conf'), 'get', 'secrets', '-n', 'kube-system'], { timeout: 30_000 });
    assert.match(denied.stderr, /forbidden: User "system:kube-scheduler" cannot list resource "secrets"/, 'the credential is the one asked for');
  });

  test("asWorkerForSessions: kplay's SSH sessions find no kubectl and no admin.conf, the node's other processes still do; undone, the sessions see them again", async () => {
    const lab = cp.lab!;
    const h = lab.host('h1');
    const login = async () => {
      const r = await runAsync('ssh', ['-i', lab.clientKey, '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(h.port), `root@${h.address}`, "sh -c 'command -v kubectl || echo none; ls /etc/kubernetes'"], { timeout: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const before = await login();
    assert.match(before, /^\/usr\/local\/bin\/kubectl\n(.*\n)*admin\.conf\n/);
    const undo = cp.asWorkerForSessions();
    try {
      assert.equal(await login(), 'none\nkubelet.conf\nmanifests\npki\n');
      assert.equal(cp.exec('command -v kubectl && test -f /etc/kubernetes/admin.conf').code, 0, 'the rest of the node is unchanged');
    } finally {
      undo();
    }
    assert.equal(await login(), before);
  });

  test('the API answers real kubectl; the controller-manager acts on a Deployment; the scheduler is healthy', async () => {
    const namespaces = cp.kubectl(['get', 'namespaces', '-o', 'jsonpath={.items[*].metadata.name}']).split(' ').sort();
    assert.deepEqual(namespaces, ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    assert.match(cp.kubectl(['version', '--short']), /Server Version: v1\.20\.2/);
    cp.kubectl(['create', 'deployment', 'web', '--image=example.invalid/web:1']);
    const deadline = Date.now() + 60_000;
    let rs = '';
    while (Date.now() < deadline) {
      rs = cp.kubectl(['get', 'replicasets', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}']).trim();
      if (rs) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(rs, /^web-[0-9a-z]+$/, 'the deployment controller made a ReplicaSet');
    const healthz = cp.exec('curl -sk https://127.0.0.1:10259/healthz; echo; curl -sk https://127.0.0.1:10257/healthz');
    assert.deepEqual(healthz.stdout.trim().split('\n'), ['ok', 'ok']);
  });
});
