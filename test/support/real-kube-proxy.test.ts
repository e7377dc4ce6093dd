// The real kube-proxy 1.20.2 on the real control plane's node: kubeadm's addon, the real DaemonSet controller
// and scheduler, the stand-in kubelet's API mode (Node, Lease, pods, configMap and secret volumes through the
// real kubectl), kube-proxy's iptables rules in the node's own network namespace and none on the machine.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { k8sTreeUnavailable, releaseBinaries } from './k8s-tree.js';
import { NODE_NAME, startRealControlPlane } from './real-control-plane.js';
import type { RealControlPlane } from './real-control-plane.js';
import { KUBELET_LOG, kubeProxyHealthz, kubeProxyPid, startKubeProxy, waitFor } from './real-kube-proxy.js';

const HASHSIZE = '/sys/module/nf_conntrack/parameters/hashsize';
const MACHINE_PATHS = ['/etc/kubernetes', '/var/lib/kubelet', '/var/lib/kube-proxy', '/var/lib/kplay-standin', '/run/xtables.lock'];

function unavailable(): string | undefined {
  const tree = k8sTreeUnavailable();
  if (tree) return tree;
  for (const bin of ['/usr/sbin/iptables-save', '/usr/bin/curl']) {
    if (!existsSync(bin)) return `the real kube-proxy needs ${bin}: run scripts/install-test-deps.sh as root`;
  }
  return undefined;
}

/** What the machine's own network looks like: its iptables and nftables rules and conntrack's global hash size. */
function machineNetwork(): Record<string, string> {
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    // iptables-save stamps its output with the time: those comment lines are not rules.
    return r.error ? `(${cmd} unavailable)` : `${r.status}\n${r.stdout.replace(/^# (Generated|Completed).*\n/gm, '')}`;
  };
  const out: Record<string, string> = { iptables: run('iptables-save', []), ip6tables: run('ip6tables-save', []) };
  if (spawnSync('nft', ['--version']).status === 0) out.nft = run('nft', ['list', 'ruleset']);
  if (existsSync(HASHSIZE)) out.hashsize = readFileSync(HASHSIZE, 'utf8');
  for (const p of MACHINE_PATHS) out[p] = String(existsSync(p));
  return out;
}

const DEBUG_AFFINITY = {
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kplay.io/debug', operator: 'DoesNotExist' }] }] } },
};

describe('the real kube-proxy on the real control plane', { skip: unavailable(), timeout: 3_600_000 }, () => {
  let cp: RealControlPlane;
  let machine: Record<string, string>;
  before(async () => {
    machine = machineNetwork();
    assert.match(machine.iptables!, /^0\n/, 'iptables-save reads the machine\'s rules (else the comparison would prove nothing)');
    cp = await startRealControlPlane();
    assert.ok(cp.processesLeft().length > 0, 'the node\'s processes are found by their PID namespace (else the check after would prove nothing)');
    await startKubeProxy(cp);
  });
  after(async () => {
    await cp?.close();
    if (!cp) return;
    assert.equal(cp.running(), false);
    // Every process of the node (kubelet, kube-proxy) ended with it: none is left in its PID namespace.
    assert.deepEqual(cp.processesLeft(), [], 'no process of the node is left');
    assert.deepEqual(machineNetwork(), machine, "the machine's iptables, nftables, conntrack hash size and paths are as before");
  });

  const kubectlJson = (args: string[]) => JSON.parse(cp.kubectl([...args, '-o', 'json'])) as Record<string, any>;
  const proxyPods = () =>
    (kubectlJson(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy']).items as { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName: string } }[]);

  test('the stand-in kubelet registered the Node with the real labels, and renews its Lease', async () => {
    const node = kubectlJson(['get', 'node', NODE_NAME]);
    for (const [k, v] of Object.entries({ 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux' })) {
      assert.equal(node.metadata.labels[k], v, k);
    }
    const ready = (node.status.conditions as { type: string; status: string }[]).find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    assert.deepEqual(node.status.addresses[0], { type: 'InternalIP', address: '10.250.0.10' });
    const renew = () => kubectlJson(['get', 'lease', '-n', 'kube-node-lease', NODE_NAME]).spec.renewTime as string;
    const first = renew();
    await waitFor(cp, 'the node Lease renewed', () => renew() > first, 30_000);
  });

  test("the DaemonSet's pod runs on the node as the real kube-proxy, with its real service-account token", async () => {
    const pods = proxyPods();
    assert.equal(pods.length, 1);
    assert.equal(pods[0]!.spec.nodeName, NODE_NAME);
    const pid = kubeProxyPid(cp);
    assert.ok(pid > 0, 'a kube-proxy process runs in the node');
    assert.deepEqual(cp.cmdline(pid), ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', `--hostname-override=${NODE_NAME}`]);
    // The release build itself (the cached one, not a stand-in).
    const exe = cp.exec(`sha256sum /proc/${pid}/exe`).stdout.split(' ')[0];
    const bins = await releaseBinaries(['kube-proxy']);
    assert.equal(exe, createHash('sha256').update(readFileSync(bins['kube-proxy'])).digest('hex'));
    // The token in the pod's mount namespace is its ServiceAccount's Secret (compared by hash: never printed).
    const mounted = cp.exec(`nsenter -t ${pid} -m cat /var/run/secrets/kubernetes.io/serviceaccount/token | sha256sum`).stdout;
    const secret = cp.kubectl(['get', 'serviceaccount', '-n', 'kube-system', 'kube-proxy', '-o', 'jsonpath={.secrets[0].name}']).trim();
    assert.match(secret, /^kube-proxy-token-[a-z0-9]{5}$/);
    const fromApi = cp.exec(`kubectl --kubeconfig /etc/kubernetes/admin.conf get secret -n kube-system ${secret} -o 'jsonpath={.data.token}' | base64 -d | sha256sum`).stdout;
    assert.match(mounted, /^[0-9a-f]{64} /);
    assert.equal(mounted, fromApi);
    assert.equal(kubeProxyHealthz(cp), '200');
    // The kubelet posted the pod's status, so the DaemonSet controller counts it ready.
    await waitFor(cp, 'the DaemonSet counting its pod ready', () => kubectlJson(['get', 'daemonset', '-n', 'kube-system', 'kube-proxy']).status.numberReady === 1, 30_000);
    assert.equal(kubectlJson(['get', 'pod', '-n', 'kube-system', pods[0]!.metadata.name]).status.phase, 'Running');
    // kube-proxy read the Services with that token and wrote their rules into the node's own network.
    const nat = cp.exec('iptables-save -t nat').stdout;
    assert.match(nat, /^:KUBE-SERVICES /m);
    assert.match(nat, /^-A KUBE-SERVICES -d 10\.96\.0\.1\/32 .*default\/kubernetes:https/m);
  });

  test('a label on the Node and an affinity on the DaemonSet, set with real kubectl, make the pod leave the node', async () => {
    const before = proxyPods()[0]!.metadata.name;
    cp.kubectl(['label', 'node', NODE_NAME, 'kplay.io/debug=true']);
    cp.kubectl(['patch', 'daemonset', '-n', 'kube-system', 'kube-proxy', '--type=json', '-p',
      JSON.stringify([{ op: 'add', path: '/spec/template/spec/affinity', value: DEBUG_AFFINITY }])]);
    await waitFor(cp, 'kube-proxy stopped and its pod object deleted', () => kubeProxyPid(cp) === 0 && proxyPods().length === 0);
    assert.equal(kubeProxyHealthz(cp), '000');
    assert.match(cp.exec(`cat ${KUBELET_LOG}`).stdout, new RegExp(`api: deleted pod kube-system/${before}`));
    assert.equal(kubectlJson(['get', 'daemonset', '-n', 'kube-system', 'kube-proxy']).status.desiredNumberScheduled, 0);
  });

  test('removing both brings kube-proxy back, healthy, as a new pod', async () => {
    cp.kubectl(['patch', 'daemonset', '-n', 'kube-system', 'kube-proxy', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/template/spec/affinity' }])]);
    cp.kubectl(['label', 'node', NODE_NAME, 'kplay.io/debug-']);
    await waitFor(cp, 'kube-proxy healthy again', () => kubeProxyHealthz(cp) === '200');
    const pods = proxyPods();
    assert.equal(pods.length, 1);
    assert.equal(pods[0]!.metadata.deletionTimestamp, undefined);
    assert.ok(kubeProxyPid(cp) > 0);
  });
});
