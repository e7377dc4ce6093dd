// Hosts straight from a real cluster: kplay lists the Nodes of the real Kubernetes 1.20 control plane
// (test/support/real-control-plane.ts) with its real kubectl, and runs a playbook over SSH on the Node it
// found. The node's network is its own: the controller reaches its apiserver through a relay (at
// APISERVER, with the certificate's name `kubernetes`) and its sshd at the SSH lab's address, which is
// what an inventory file's per-Node settings are for (as behind a bastion).
// Run only as: flock /run/lock/kplay-real.lock node --import tsx --test test/integration/kube-inventory.test.ts
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { kplay } from '../helpers/cli.js';
import { writeTree } from '../helpers/files.js';
import { k8sTreeUnavailable, releaseBinaries } from '../support/k8s-tree.js';
import { forwardIntoNetns } from '../support/netns-forward.js';
import type { NetnsForward } from '../support/netns-forward.js';
import { NODE_ADDRESS, NODE_NAME, startRealControlPlane } from '../support/real-control-plane.js';
import type { RealControlPlane } from '../support/real-control-plane.js';

/** Where the controller reaches the node's apiserver: a loopback address no other test binds on 6443. */
const APISERVER = '127.0.0.61';
/** kubeadm's admin.conf names its context after the user and the clusterName of its config. */
const CONTEXT = 'kubernetes-admin@kplay-test';

/** The node's PID 1 as the machine sees it: the one process of the node whose own namespace calls it 1. */
function nodePid1(cp: RealControlPlane): number {
  const pid = cp.processesLeft().find((p) => /^NSpid:.*\s1$/m.test(readFileSync(`/proc/${p}/status`, 'utf8')));
  assert.ok(pid, "the node's PID 1");
  return pid;
}

describe('hosts from a real cluster (-i k8s:, cluster:)', { skip: k8sTreeUnavailable(), timeout: 1_800_000 }, () => {
  let cp: RealControlPlane;
  let forward: NetnsForward | undefined;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    const [bins, started] = await Promise.all([releaseBinaries(['kubectl']), startRealControlPlane({ ssh: true })]);
    cp = started;
    // Real kubeadm gives the Node its control-plane labels, as `kubeadm init` does once the kubelet registered it.
    const cfg = path.join(cp.dir, 'kubeadm.yaml');
    const mark = cp.exec(`kubeadm init phase mark-control-plane --config '${cfg}'`, 180_000);
    assert.equal(mark.code, 0, mark.stderr);
    forward = await forwardIntoNetns(nodePid1(cp), APISERVER, 6443);
    // kubeadm's admin.conf as a user's kubeconfig on the controller: the relay's address, verified as `kubernetes`.
    const admin = parse(readFileSync(cp.hostPath('/etc/kubernetes/admin.conf'), 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
    const cluster = admin.clusters[0]!.cluster;
    assert.equal(cluster.server, `https://${NODE_ADDRESS}:6443`);
    cluster.server = `https://${APISERVER}:6443`;
    cluster['tls-server-name'] = 'kubernetes';
    dir = writeTree({ 'kube/config': stringify(admin), 'echo.yaml': 'name: echo\nhosts: control-plane\ntasks:\n  - name: where\n    command: "echo {{node_name}} is $(hostname)"\n' });
    env = { KUBECONFIG: path.join(dir, 'kube/config'), KPLAY_KUBECTL: bins.kubectl };
  });
  after(async () => {
    await forward?.close();
    await cp?.close();
  });

  test('kplay list -i k8s:CONTEXT shows the Node at its InternalIP in control-plane, and where it came from', () => {
    const r = kplay(['list', '-i', `k8s:${CONTEXT}`], { env });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^Hosts of k8s:${CONTEXT} \\(the Nodes of kubectl context ${CONTEXT}\\): 1$`, 'm'));
    assert.match(r.out, new RegExp(`^${NODE_NAME}  ${NODE_ADDRESS.replace(/\./g, '\\.')}  groups control-plane, `, 'm'));
    assert.match(r.out, new RegExp(`^  from Node ${NODE_NAME} of kubectl context ${CONTEXT}, its InternalIP$`, 'm'));
    const json = JSON.parse(kplay(['list', '-i', 'k8s:', '-o', 'json'], { env }).out) as { hosts: { name: string; address: string; groups: string[] }[] };
    assert.deepEqual(json.hosts.map((h) => [h.name, h.address, h.groups.includes('control-plane'), h.groups.includes('label_node-role.kubernetes.io_master')]), [[NODE_NAME, NODE_ADDRESS, true, true]]);
  });

  test('--limit selects by role: control-plane plans the Node, workers none', () => {
    const cp1 = kplay(['plan', path.join(dir, 'echo.yaml'), '-i', `k8s:${CONTEXT}`, '--limit', 'control-plane'], { env });
    assert.equal(cp1.code, 0, cp1.err);
    assert.match(cp1.out, new RegExp(`^${NODE_NAME}  \\(${NODE_ADDRESS.replace(/\./g, '\\.')}; groups control-plane, `, 'm'));
    assert.match(cp1.out, /echo cp1 is \$\(hostname\)/);
    const none = kplay(['plan', path.join(dir, 'echo.yaml'), '-i', `k8s:${CONTEXT}`, '--limit', 'workers'], { env });
    assert.equal(none.code, 4);
    assert.match(none.err, /no hosts selected: hosts "control-plane" with --limit workers matches none in k8s:/);
  });

  test('kplay run over an inventory file with cluster: reaches the Node, its SSH settings given per Node', () => {
    // The SSH lab's settings for its host h1 (this node), given to the Node of the same name.
    const lab = parse(readFileSync(cp.lab!.inventory(), 'utf8')) as { defaults: Record<string, unknown>; hosts: Record<string, Record<string, unknown>> };
    const inv = path.join(dir, 'cluster.yaml');
    writeFileSync(inv, stringify({ cluster: { kubeconfig: 'kube/config', context: CONTEXT, kubectl: env.KPLAY_KUBECTL }, defaults: lab.defaults, hosts: { [NODE_NAME]: lab.hosts.h1 } }));
    // No KUBECONFIG or KPLAY_KUBECTL: the file names both. Run records go to a state folder of the test's own.
    const r = kplay(['run', path.join(dir, 'echo.yaml'), '-i', inv, '-v'], { env: { KUBECONFIG: '', KPLAY_KUBECTL: '', SSH_AUTH_SOCK: '', KPLAY_STATE_DIR: path.join(dir, 'state') }, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, new RegExp(`${NODE_NAME} is ${NODE_NAME}`));
  });

  test('a plan saved from -i k8s: is refused once the Nodes changed, before anything is connected', () => {
    const saved = path.join(dir, 'plan.json');
    const made = kplay(['plan', path.join(dir, 'echo.yaml'), '-i', `k8s:${CONTEXT}`, '-o', 'json'], { env });
    assert.equal(made.code, 0, made.err);
    writeFileSync(saved, made.out);
    assert.equal(JSON.parse(made.out).inputs.inventory, `k8s:${CONTEXT}`);
    cp.kubectl(['label', 'node', NODE_NAME, 'kplay.io/inventory-test=changed']);
    try {
      const r = kplay(['run', '--plan', saved], { env: { ...env, KPLAY_STATE_DIR: path.join(dir, 'state') } });
      assert.equal(r.code, 4, r.err);
      assert.match(r.err, /building the plan again from the same files gives a different plan \(at hosts\[0\]\.groups/);
    } finally {
      cp.kubectl(['label', 'node', NODE_NAME, 'kplay.io/inventory-test-']);
    }
  });
});
