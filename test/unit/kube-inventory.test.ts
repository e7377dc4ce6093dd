// Cluster inventories without a cluster: kubectl's JSON as a kubeadm cluster prints it, turned into
// hosts, addresses and groups; an inventory file's cluster: mapping and its per-Node settings; and what
// kplay says when kubectl cannot list the Nodes (a real kubectl where one is installed).
// The same against a real apiserver: test/integration/kube-inventory.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadPlaybook } from '../../src/config/playbook-load.js';
import { loadInventory } from '../../src/inventory/inventory.js';
import { labelGroupName, NodeListError, parseNodeList } from '../../src/inventory/kube-nodes.js';
import { listClusterNodes } from '../../src/inventory/kube-source.js';
import type { KubectlResult } from '../../src/inventory/kube-source.js';
import { resolveTarget } from '../../src/connection/ssh.js';
import { sshTarget } from '../../src/executor/run-playbook.js';
import { buildPlan } from '../../src/plan/build.js';
import { formatPlan } from '../../src/plan/print.js';
import { kplay } from '../helpers/cli.js';
import { REPO_ROOT, writeTree } from '../helpers/files.js';

function node(name: string, labels: Record<string, string>, addresses: [string, string][]): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels } },
    status: { addresses: addresses.map(([type, address]) => ({ type, address })) },
  };
}

/** A kubeadm cluster as kubectl 1.2x lists it: a control plane with both role labels, three workers. */
const NODES = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    node('worker2', { 'topology.kubernetes.io/zone': 'eu-1b' }, [['ExternalIP', '203.0.113.22'], ['Hostname', 'worker2']]),
    node('cp1', { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '' }, [['InternalIP', '10.0.0.10'], ['Hostname', 'cp1']]),
    node('worker1', { 'topology.kubernetes.io/zone': 'eu-1a', 'node-role.kubernetes.io/gpu': '' }, [['Hostname', 'worker1'], ['ExternalIP', '203.0.113.21'], ['InternalIP', '10.0.0.21']]),
    node('worker3', {}, []),
  ],
});

/** kubectl's part: answers `get nodes` with `json`, and records what it was asked. */
function kubectl(json = NODES): { calls: string[][]; run: (bin: string, args: string[]) => KubectlResult } {
  const calls: string[][] = [];
  return { calls, run: (bin, args) => (calls.push([bin, ...args]), { status: 0, stdout: json, stderr: '' }) };
}

describe('kubectl get nodes -o json, read', () => {
  test('each Node is a host at its InternalIP, falling back to ExternalIP, then Hostname; sorted by name', () => {
    const nodes = parseNodeList(NODES);
    assert.deepEqual(
      nodes.map((n) => [n.name, n.address, n.addressType]),
      [
        ['cp1', '10.0.0.10', 'InternalIP'],
        ['worker1', '10.0.0.21', 'InternalIP'],
        ['worker2', '203.0.113.22', 'ExternalIP'],
        ['worker3', undefined, undefined],
      ],
    );
    assert.deepEqual(
      parseNodeList(NODES, 'ExternalIP').map((n) => n.address),
      ['10.0.0.10', '203.0.113.21', '203.0.113.22', undefined],
    );
  });

  test('role groups from the control-plane and master labels, a group per label, none per host name', () => {
    const byName = new Map(parseNodeList(NODES).map((n) => [n.name, n.groups]));
    assert.deepEqual(byName.get('cp1'), ['control-plane', 'label_kubernetes.io_os_linux', 'label_node-role.kubernetes.io_control-plane', 'label_node-role.kubernetes.io_master']);
    assert.deepEqual(byName.get('worker1'), ['workers', 'label_kubernetes.io_os_linux', 'label_node-role.kubernetes.io_gpu', 'label_topology.kubernetes.io_zone_eu-1a']);
    const masterOnly = parseNodeList(JSON.stringify({ items: [node('old', { 'node-role.kubernetes.io/master': '' }, [])] }));
    assert.equal(masterOnly[0]!.groups[0], 'control-plane', 'clusters before 1.20 label only master');
  });

  test('label group names keep only what a group name may hold', () => {
    assert.equal(labelGroupName('topology.kubernetes.io/zone', 'eu-1a'), 'label_topology.kubernetes.io_zone_eu-1a');
    assert.equal(labelGroupName('example.com/team', 'a b=c'), 'label_example.com_team_a_b_c');
    assert.equal(labelGroupName('node-role.kubernetes.io/worker', ''), 'label_node-role.kubernetes.io_worker');
  });

  test('output that is not a NodeList is refused, saying why', () => {
    assert.throws(() => parseNodeList('No resources found'), (e: Error) => e instanceof NodeListError && /not JSON/.test(e.message));
    assert.throws(() => parseNodeList('{"kind":"Node"}'), /no "items" list/);
    assert.throws(() => parseNodeList('{"items":[{"metadata":{}}]}'), /item 0 has no metadata\.name/);
  });
});

describe('-i k8s:[CONTEXT]', () => {
  test('lists the Nodes with the context given, sets node_name, and says where each host came from', () => {
    const k = kubectl();
    const inv = loadInventory('k8s:kubernetes-admin@prod:eu/1', { run: k.run, env: { KPLAY_KUBECTL: '/opt/bin/kubectl' } });
    assert.deepEqual(inv.problems, []);
    assert.deepEqual(k.calls, [['/opt/bin/kubectl', '--context', 'kubernetes-admin@prod:eu/1', 'get', 'nodes', '-o', 'json', '--request-timeout=20s']]);
    const cp1 = inv.value!.hosts.get('cp1')!;
    assert.equal(cp1.address, '10.0.0.10');
    assert.equal(cp1.addressGiven, false, "~/.ssh/config's HostName may still say otherwise");
    assert.deepEqual(cp1.vars, { node_name: 'cp1' });
    assert.equal(cp1.origin, 'Node cp1 of kubectl context kubernetes-admin@prod:eu/1, its InternalIP');
    assert.deepEqual(inv.value!.groups.get('control-plane')!.hosts, ['cp1']);
    assert.deepEqual(inv.value!.groups.get('workers')!.hosts, ['worker1', 'worker2', 'worker3']);
    assert.deepEqual(inv.value!.groups.get('label_topology.kubernetes.io_zone_eu-1a')!.hosts, ['worker1']);
    assert.equal(inv.value!.hosts.get('worker3')!.address, 'worker3', 'a Node without addresses is reached by its name');
  });

  test('a Node named like a group the cluster makes is refused: patterns would mean two things', () => {
    const json = JSON.stringify({ items: [node('workers', {}, [['InternalIP', '10.0.0.5']])] });
    const inv = loadInventory('k8s:', { run: kubectl(json).run, env: {} });
    const errors = inv.problems.filter((p) => p.severity === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /the Node "workers" has the name of a group kplay makes from the cluster/);
    assert.equal(errors[0]!.pos, undefined, '-i k8s: is no file to point into');
  });

  test("~/.ssh/config's HostName for the Node's name wins over the Node's address; without one, the Node's address is used", () => {
    const inv = loadInventory('k8s:', { run: kubectl().run, env: {} }).value!;
    const dir = writeTree({ ssh_config: 'Host cp1\n  HostName 192.0.2.10\n  User admin\nHost worker*\n  Port 2222\n' });
    const config = path.join(dir, 'ssh_config');
    const cp1 = resolveTarget(sshTarget(inv.hosts.get('cp1')!), config);
    assert.deepEqual([cp1.address, cp1.user, cp1.port], ['192.0.2.10', 'admin', 22]);
    const w1 = resolveTarget(sshTarget(inv.hosts.get('worker1')!), config);
    assert.deepEqual([w1.address, w1.port], ['10.0.0.21', 2222]);
    const w3 = resolveTarget(sshTarget(inv.hosts.get('worker3')!), config);
    assert.equal(w3.address, 'worker3', 'a Node without addresses: its name');
  });

  test('k8s: alone uses the current context', () => {
    const k = kubectl();
    loadInventory('k8s:', { run: k.run, env: {} });
    assert.deepEqual(k.calls[0], ['kubectl', 'get', 'nodes', '-o', 'json', '--request-timeout=20s']);
  });

  test('the plan shows where the hosts came from and keeps k8s:CONTEXT as its inventory', () => {
    const dir = writeTree({ 'pb.yaml': 'name: where\nhosts: workers\ntasks:\n  - name: show\n    command: "echo {{node_name}}"\n' });
    const inv = loadInventory('k8s:prod', { run: kubectl().run, env: {} }).value!;
    const planned = buildPlan(loadPlaybook(path.join(dir, 'pb.yaml')).value!, inv, { limit: 'label_topology.kubernetes.io_zone_*' });
    assert.deepEqual(planned.problems, []);
    assert.equal(planned.plan!.inputs.inventory, 'k8s:prod');
    assert.deepEqual(planned.plan!.hosts.map((h) => h.name), ['worker1', 'worker2']);
    const text = formatPlan(planned.plan!);
    assert.match(text, /^worker2  \(203\.0\.113\.22; groups workers, .*label_topology\.kubernetes\.io_zone_eu-1b\)\n  from Node worker2 of kubectl context prod, its ExternalIP$/m);
    assert.match(text, /echo worker1/);
  });
});

test('kplay list -i lists a plain inventory too, --limit selecting; --limit alone is refused', () => {
  const example = path.join(REPO_ROOT, 'inventory.example.yaml');
  const r = kplay(['list', '-i', example, '--limit', 'workers']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `Hosts of inventory.example.yaml: 2\nworker1  admin@192.0.2.21  groups workers\nworker2  admin@192.0.2.22  groups workers\n`);
  const alone = kplay(['list', '--limit', 'workers']);
  assert.equal(alone.code, 4);
  assert.match(alone.err, /--limit selects hosts of an inventory, and none was given \[E_USAGE\]/);
});

describe('an inventory file with cluster:', () => {
  const FILE = `cluster:
  context: prod
  kubeconfig: kube/config
  kubectl: bin/kubectl
  address: ExternalIP
  selector: kubernetes.io/os=linux
defaults: {user: admin, become: true}
vars: {dlv_port: 2346}
hosts:
  cp1: {address: 127.0.0.2, port: 2222, vars: {dlv_port: 2347}}
  worker9: {port: 22}
groups:
  workers:
    vars: {component: kubelet}
  canaries:
    hosts: [worker1]
`;

  test('takes the Nodes, with the settings of the hosts of the same name, and joins groups', () => {
    const dir = writeTree({ 'inv.yaml': FILE, 'kube/config': 'apiVersion: v1\nkind: Config\n' });
    const k = kubectl();
    const inv = loadInventory(path.join(dir, 'inv.yaml'), { run: k.run, env: {} });
    assert.deepEqual(k.calls, [
      [path.join(dir, 'bin/kubectl'), '--kubeconfig', path.join(dir, 'kube/config'), '--context', 'prod', 'get', 'nodes', '-o', 'json', '--request-timeout=20s', '-l', 'kubernetes.io/os=linux'],
    ]);
    const v = inv.value!;
    const cp1 = v.hosts.get('cp1')!;
    assert.deepEqual([cp1.address, cp1.addressGiven, cp1.port, cp1.connection.user, cp1.connection.become], ['127.0.0.2', true, 2222, 'admin', true]);
    assert.deepEqual(cp1.vars, { node_name: 'cp1', dlv_port: 2347 });
    const w1 = v.hosts.get('worker1')!;
    assert.deepEqual([w1.address, w1.port, w1.connection.user], ['203.0.113.21', 22, 'admin'], 'the ExternalIP asked for, and the defaults');
    assert.deepEqual(w1.groups.filter((g) => !g.startsWith('label_')), ['workers', 'canaries']);
    assert.deepEqual(v.groups.get('workers'), { hosts: ['worker1', 'worker2', 'worker3'], vars: { component: 'kubelet' }, secrets: [] });
    assert.equal(v.hosts.has('worker9'), false);
    const warning = inv.problems.find((p) => p.severity === 'warning')!;
    assert.match(warning.message, /hosts: "worker9" is no Node of the cluster \(kubectl context prod/);
    assert.match(warning.hint!, /Did you mean "worker1"\?/);
    assert.equal(warning.pos!.line, 11);
    assert.equal(inv.problems.filter((p) => p.severity === 'error').length, 0);
  });

  test('a kubeconfig that does not exist is an error at the cluster: key, before kubectl runs', () => {
    const dir = writeTree({ 'inv.yaml': FILE });
    const k = kubectl();
    const inv = loadInventory(path.join(dir, 'inv.yaml'), { run: k.run, env: {} });
    assert.equal(inv.value, undefined);
    assert.equal(k.calls.length, 0);
    assert.equal(inv.problems.length, 1);
    assert.equal(inv.problems[0]!.code, 'E_CLUSTER');
    assert.match(inv.problems[0]!.message, /the kubeconfig .*kube\/config does not exist/);
    assert.deepEqual([inv.problems[0]!.pos!.line, inv.problems[0]!.pos!.col], [1, 1]);
  });

  test('kplay validate checks it offline: Node names in groups are fine, a misspelt key is not', () => {
    const dir = writeTree({ 'inv.yaml': 'cluster: {context: prod}\ngroups:\n  canaries: {hosts: [worker1]}\n', 'bad.yaml': 'cluster: {contxt: prod}\n' });
    const ok = kplay(['validate', path.join(dir, 'inv.yaml')]);
    assert.equal(ok.code, 0, ok.err + ok.out);
    const bad = kplay(['validate', path.join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 4);
    assert.match(bad.err + bad.out, /bad\.yaml:1:\d+: error: .*contxt/);
    const none = kplay(['validate', writeTree({ 'inv.yaml': 'defaults: {user: root}\n' }) + '/inv.yaml']);
    assert.equal(none.code, 4, 'without cluster:, hosts stays required');
    assert.match(none.err + none.out, /hosts/);
  });
});

describe('what kubectl ended with, in one line with what to do', () => {
  const spec = { context: 'prod', kubectl: 'kubectl', address: 'InternalIP' as const };
  const cases: [string, KubectlResult, RegExp, RegExp][] = [
    ['a timeout', { status: null, stdout: '', stderr: '', error: Object.assign(new Error('spawnSync kubectl ETIMEDOUT'), { code: 'ETIMEDOUT' }) }, /did not finish within 60 s \(kubectl context prod\)/, /credential plugin/],
    ['a signal', { status: null, stdout: '', stderr: '' }, /was ended by a signal/, /Run the same kubectl get nodes yourself/],
    ['no permission to run it', { status: null, stdout: '', stderr: '', error: Object.assign(new Error('EACCES'), { code: 'EACCES' }) }, /kubectl cannot be run \(permission denied\)/, /chmod \+x/],
    ['refused credentials', { status: 1, stdout: '', stderr: 'error: You must be logged in to the server (Unauthorized)\n' }, /refused kubectl's credentials \(kubectl context prod\): You must be logged in to the server \(Unauthorized\)$/, /kubectl auth can-i list nodes/],
    ['no right to list Nodes', { status: 1, stdout: '', stderr: 'Error from server (Forbidden): nodes is forbidden: User "dev" cannot list resource "nodes"\n' }, /refused kubectl's credentials .*cannot list resource "nodes"/, /can-i/],
    ['anything else, with its last line', { status: 2, stdout: '', stderr: 'W1130 18:53:01.057715 6811 loader.go:223] noise\nsomething new\n' }, /^kubectl get nodes failed \(exit 2, kubectl context prod\): something new$/, /yourself/],
    ['output that is no NodeList', { status: 0, stdout: 'No resources found', stderr: '' }, /printed something kplay cannot read: not JSON/, /KPLAY_KUBECTL or cluster\.kubectl/],
    ['no Nodes', { status: 0, stdout: '{"items": []}', stderr: '' }, /kubectl listed no Nodes in kubectl context prod/, /kubectl get nodes/],
  ];
  for (const [what, result, message, hint] of cases) {
    test(what, () => {
      const r = listClusterNodes(spec, () => result);
      assert.equal(r.nodes, undefined);
      assert.equal(r.problem!.code, 'E_CLUSTER');
      assert.match(r.problem!.message, message);
      assert.match(r.problem!.hint!, hint);
    });
  }
});

/** A kubectl to fail with for real: the Kubernetes 1.20 release build of the test cache, else one on PATH. */
function realKubectl(): string | undefined {
  const cache = '/var/cache/kplay-test/bin';
  const cached = existsSync(cache) ? readdirSync(cache).map((v) => path.join(cache, v, 'release', 'kubectl')).find((f) => existsSync(f)) : undefined;
  return cached ?? ['/usr/local/bin/kubectl', '/usr/bin/kubectl'].find((f) => existsSync(f));
}

describe('when kubectl cannot list the Nodes, one line says what to do (the CLI, a real kubectl)', () => {
  const bin = realKubectl();
  const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c1, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u1, user: {token: not-a-real-token}}]
contexts: [{name: kubernetes-admin@lab, context: {cluster: c1, user: u1}}]
current-context: kubernetes-admin@lab
`;
  const dir = writeTree({ kubeconfig: KUBECONFIG });
  const env = { KUBECONFIG: path.join(dir, 'kubeconfig'), KPLAY_KUBECTL: bin ?? 'kubectl' };
  const oneError = (r: { code: number | null; out: string; err: string }, message: RegExp, hint: RegExp) => {
    assert.equal(r.code, 4, r.err);
    assert.equal(r.out, '');
    assert.match(r.err, message);
    assert.match(r.err, hint);
    assert.doesNotMatch(r.err, /at .*\.js:\d+|internal error/, 'no stack, no internal error');
    assert.doesNotMatch(r.err, /not-a-real-token/);
  };

  test('kubectl missing', () => {
    const r = kplay(['plan', 'inspect-node', '-i', 'k8s:'], { env: { ...env, KPLAY_KUBECTL: '/nonexistent/kubectl' } });
    oneError(r, /^kplay: error: kubectl was not found \(looked for "\/nonexistent\/kubectl"\) \[E_CLUSTER\]$/m, /hint: Install kubectl on this machine, or name it: KPLAY_KUBECTL=/);
  });

  test('an unknown context, with the one meant', { skip: bin ? false : 'no kubectl on this machine' }, () => {
    const r = kplay(['list', '-i', 'k8s:kubernetes-admin@lba'], { env });
    oneError(r, /^kplay: error: the kubeconfig has no context "kubernetes-admin@lba" \[E_CLUSTER\]$/m, /hint: Did you mean "kubernetes-admin@lab"\? List the contexts with kubectl config get-contexts\./);
  });

  test('a cluster that does not answer', { skip: bin ? false : 'no kubectl on this machine' }, () => {
    const r = kplay(['run', 'inspect-node', '-i', 'k8s:kubernetes-admin@lab'], { env });
    oneError(r, /^kplay: error: the cluster's API server cannot be reached \(kubectl context kubernetes-admin@lab\): The connection to the server 127\.0\.0\.1:1 was refused/m, /hint: Check the server address in the kubeconfig/);
  });

  test('no kubeconfig at all', { skip: bin ? false : 'no kubectl on this machine' }, () => {
    const r = kplay(['list', '-i', 'k8s:'], { env: { ...env, KUBECONFIG: path.join(dir, 'missing'), HOME: dir } });
    oneError(r, /^kplay: error: kubectl has no cluster to talk to: .*localhost:8080/m, /hint: Name one: -i k8s:CONTEXT, KUBECONFIG=/);
  });
});
