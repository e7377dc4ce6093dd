import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { tokenClaims } from './proxy-credentials.js';
import { COMPONENTS, standinUnavailable, startStandinCluster } from './standin-cluster.js';
import type { Component, StandinCluster, StandinNode } from './standin-cluster.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real OpenSSH client against a node, with the lab's key and known_hosts and nothing else. */
function ssh(cluster: StandinCluster, node: StandinNode, user: string, command: string): Promise<Ran> {
  const h = cluster.lab.host(node.name);
  const args = [
    '-F', '/dev/null',
    '-i', cluster.lab.clientKey,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${cluster.lab.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-p', String(h.port),
    `${user}@${h.address}`,
    command,
  ];
  return new Promise((resolve) => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SSH_AUTH_SOCK: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function root(cluster: StandinCluster, node: StandinNode, command: string): Promise<string> {
  const r = await ssh(cluster, node, 'root', command);
  assert.equal(r.code, 0, `ssh root@${node.name} ${command}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function waitUntil(what: string, cond: () => Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Asserts that cond stays false for ms. */
async function staysFalse(what: string, cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    assert.equal(await cond(), false, what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function pgrep(pattern: string): string {
  try {
    return execFileSync('pgrep', ['-af', pattern], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function listing(dir: string): string[] | undefined {
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

const KUBECTL = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
const AFFINITY_PATCH = JSON.stringify([
  {
    op: 'add',
    path: '/spec/template/spec/affinity',
    value: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kplay.io/debug', operator: 'DoesNotExist' }] }],
        },
      },
    },
  },
]);
const UNDO_AFFINITY = JSON.stringify([{ op: 'remove', path: '/spec/template/spec/affinity' }]);

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Folders the nodes mount over: a machine that lacks them (one that never ran Kubernetes) must still lack them. */
const MOUNTPOINTS = ['/etc/kubernetes', '/var/lib/kubelet', '/var/lib/kube-proxy', '/var/lib/kplay-standin', '/run/secrets'];

describe('stand-in cluster (one node)', { skip: standinUnavailable() }, () => {
  let cluster: StandinCluster;
  let node: StandinNode;
  const machineEtcKubernetes = listing('/etc/kubernetes');
  const machineMountpoints = MOUNTPOINTS.map((m) => [m, existsSync(m)]);
  const machineHostname = execFileSync('hostname', { encoding: 'utf8' }).trim();

  before(async () => {
    cluster = await startStandinCluster();
    node = cluster.nodes[0]!;
  });
  after(async () => {
    await cluster?.close();
    // After the node is gone too: nothing it mounted over was left on the machine.
    assert.deepEqual(MOUNTPOINTS.map((m) => [m, existsSync(m)]), machineMountpoints);
  });

  test('the node has its own paths and hostname; the machine is unchanged', async () => {
    assert.equal(node.name, 'h1');
    assert.equal(node.address, '127.0.0.2');
    assert.equal(cluster.lab.hosts[0]!.name, node.name, 'lab host name = node name');
    const out = await root(cluster, node, 'hostname; ls /etc/kubernetes/manifests; ls /usr/local/bin');
    const [hostname, ...rest] = out.trim().split('\n');
    assert.equal(hostname, 'h1');
    assert.deepEqual(rest.slice(0, 3), ['kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']);
    assert.deepEqual(rest.slice(3).sort(), [...COMPONENTS, 'kubectl', 'systemctl'].sort());
    // A mountpoint the machine lacks is made inside the node only (over an overlay of its parent).
    assert.deepEqual(MOUNTPOINTS.map((m) => [m, existsSync(m)]), machineMountpoints);
    assert.equal((await root(cluster, node, `ls -d ${MOUNTPOINTS.join(' ')} | wc -l`)).trim(), String(MOUNTPOINTS.length));
    const now = listing('/etc/kubernetes');
    assert.deepEqual(now ?? [], machineEtcKubernetes ?? []);
    assert.equal(existsSync('/etc/kubernetes/manifests'), false);
    assert.equal(execFileSync('hostname', { encoding: 'utf8' }).trim(), machineHostname);
    // Byte-identical through hostPath().
    const inside = await node.exec(`cat ${node.manifestPath('kube-apiserver')}`);
    assert.equal(inside.stdout, readFileSync(node.hostPath(node.manifestPath('kube-apiserver')), 'utf8'));
    assert.match(inside.stdout, /--bind-address=127\.0\.0\.2\n/);
    const mode = await root(cluster, node, 'stat -c %a /etc/kubernetes/admin.conf');
    assert.equal(mode.trim(), '600');
  });

  test('all five components are healthy, one process each; stand-ins say so', async () => {
    for (const c of COMPONENTS) {
      assert.equal(await node.healthy(c), true, `${c} at ${node.healthUrl(c)}`);
      const pids = await node.pids(c);
      assert.equal(pids.length, 1, `${c}: ${pids}`);
      const argv = await node.cmdline(pids[0]!);
      assert.match(argv[0]!, new RegExp(`/usr/local/bin/${c}$`));
    }
    const kp = await node.cmdline((await node.pids('kube-proxy'))[0]!);
    assert.deepEqual(kp.slice(1), ['--config=/var/lib/kube-proxy/config.conf', '--hostname-override=h1']);
    const v = await root(cluster, node, 'systemctl --version; kubectl version --client');
    assert.match(v, /STAND-IN systemctl/);
    assert.match(v, /STAND-IN kubectl/);
  });

  test('moving the scheduler manifest out stops it within 5 s; moving it back restarts it', async () => {
    const before = await node.pids('kube-scheduler');
    assert.equal(before.length, 1);
    await root(cluster, node, 'mv /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/kube-scheduler.yaml.bak');
    const stopMs = await waitUntil('scheduler stops', async () => (await node.pids('kube-scheduler')).length === 0, 5000);
    assert.ok(stopMs <= 5000);
    assert.equal(await node.healthy('kube-scheduler'), false);
    assert.equal(await node.healthy('kube-apiserver'), true, 'the other pods keep running');
    await root(cluster, node, 'mv /etc/kubernetes/kube-scheduler.yaml.bak /etc/kubernetes/manifests/kube-scheduler.yaml');
    await node.waitHealthy('kube-scheduler', 15_000);
    const after = await node.pids('kube-scheduler');
    assert.equal(after.length, 1);
    assert.notEqual(after[0], before[0]);
  });

  test('systemctl stop kubelet leaves static pods running; start adopts them', async () => {
    const pods: Partial<Record<Component, number[]>> = {};
    for (const c of COMPONENTS) pods[c] = await node.pids(c);
    const kubeletPid = pods.kubelet![0]!;
    const stop = await ssh(cluster, node, 'root', 'systemctl stop kubelet; systemctl is-active kubelet');
    assert.deepEqual([stop.code, stop.stdout], [3, 'inactive\n'], stop.stderr);
    assert.deepEqual(await node.pids('kubelet'), []);
    assert.equal(await node.healthy('kubelet'), false);
    for (const c of COMPONENTS.filter((x) => x !== 'kubelet')) {
      assert.deepEqual(await node.pids(c), pods[c], `${c} survives the kubelet`);
      assert.equal(await node.healthy(c), true, `${c} healthy without the kubelet`);
    }
    const start = await ssh(cluster, node, 'root', 'systemctl start kubelet && systemctl is-active kubelet');
    assert.deepEqual([start.code, start.stdout], [0, 'active\n'], start.stderr);
    await node.waitHealthy('kubelet', 10_000);
    const newKubelet = await node.pids('kubelet');
    assert.equal(newKubelet.length, 1);
    assert.notEqual(newKubelet[0], kubeletPid);
    // Give the adopted kubelet a few sync rounds: it must not restart what runs.
    await new Promise((r) => setTimeout(r, 2500));
    for (const c of COMPONENTS.filter((x) => x !== 'kubelet')) {
      assert.deepEqual(await node.pids(c), pods[c], `${c} adopted, same pid`);
    }
    const status = await ssh(cluster, node, 'root', 'systemctl status kubelet');
    assert.equal(status.code, 0);
    assert.match(status.stdout, /Active: active \(running\)/);
    assert.match(status.stdout, /└─10-kubeadm\.conf/);
  });

  test('systemctl show prints ExecStart like systemd; the kubelet runs with the expanded flags', async () => {
    const show = await root(cluster, node, 'systemctl show -p ExecStart kubelet');
    assert.match(
      show,
      /^ExecStart=\{ path=\/usr\/local\/bin\/kubelet ; argv\[\]=\/usr\/local\/bin\/kubelet \$KUBELET_KUBECONFIG_ARGS \$KUBELET_CONFIG_ARGS \$KUBELET_KUBEADM_ARGS \$KUBELET_EXTRA_ARGS ; ignore_errors=no ; start_time=\[[^\]]+\] ; stop_time=\[n\/a\] ; pid=\d+ ; code=\(null\) ; status=0\/0 \}\n$/,
    );
    const props = await root(cluster, node, 'systemctl show -p MainPID,ActiveState -p FragmentPath -p DropInPaths kubelet');
    const mainPid = Number(/^MainPID=(\d+)$/m.exec(props)?.[1]);
    assert.deepEqual(await node.pids('kubelet'), [mainPid]);
    assert.match(props, /^ActiveState=active$/m);
    assert.match(props, /^FragmentPath=\/etc\/systemd\/system\/kubelet\.service$/m);
    assert.match(props, /^DropInPaths=\/etc\/systemd\/system\/kubelet\.service\.d\/10-kubeadm\.conf$/m);
    const value = await root(cluster, node, 'systemctl show -p MainPID --value kubelet.service');
    assert.equal(value, `${mainPid}\n`);
    assert.deepEqual(await node.cmdline(mainPid), [
      '/usr/local/bin/kubelet',
      '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
      '--kubeconfig=/etc/kubernetes/kubelet.conf',
      '--config=/var/lib/kubelet/config.yaml',
      '--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock',
      '--pod-infra-container-image=registry.k8s.io/pause:3.9',
      '--hostname-override=h1',
      '--node-ip=127.0.0.2',
    ]);
    // A clean environment: nothing of the caller's leaks into the service.
    const env = await node.exec(`tr '\\0' '\\n' < /proc/${mainPid}/environ`);
    assert.deepEqual(env.stdout.trim().split('\n').map((l) => l.split('=')[0]).sort(), [
      'KUBELET_CONFIG_ARGS',
      'KUBELET_KUBEADM_ARGS',
      'KUBELET_KUBECONFIG_ARGS',
      'PATH',
    ]);
  });

  test('label + DaemonSet affinity patch stops kube-proxy; undoing both brings it back', async () => {
    const label = await root(cluster, node, `${KUBECTL} label node h1 kplay.io/debug=true`);
    assert.equal(label, 'node/h1 labeled\n');
    const again = await ssh(cluster, node, 'root', `${KUBECTL} label node h1 kplay.io/debug=false`);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /'kplay\.io\/debug' already has a value \(true\), and --overwrite is false/);
    await staysFalse('kube-proxy keeps running on the label alone', async () => (await node.pids('kube-proxy')).length === 0, 1500);
    const patched = await root(cluster, node, `${KUBECTL} -n kube-system patch ds kube-proxy --type=json -p ${shq(AFFINITY_PATCH)}`);
    assert.equal(patched, 'daemonset.apps/kube-proxy patched\n');
    await waitUntil('kube-proxy stops', async () => (await node.pids('kube-proxy')).length === 0, 5000);
    assert.equal(await node.healthy('kube-proxy'), false);
    const gen = await root(cluster, node, `${KUBECTL} get ds kube-proxy -n kube-system -o jsonpath='{.metadata.generation}'`);
    assert.equal(gen, '2');

    await root(cluster, node, `${KUBECTL} label node h1 kplay.io/debug-`);
    await root(cluster, node, `${KUBECTL} -n kube-system patch ds kube-proxy --type=json -p ${shq(UNDO_AFFINITY)}`);
    await node.waitHealthy('kube-proxy', 10_000);
    const labels = JSON.parse(await root(cluster, node, `${KUBECTL} get node h1 -o json`)).metadata.labels;
    assert.equal('kplay.io/debug' in labels, false);
  });

  test('kubectl: get, merge patch, replace with resourceVersion conflicts', async () => {
    const ds = JSON.parse(await root(cluster, node, `${KUBECTL} get daemonset kube-proxy -n kube-system -o json`));
    assert.equal(ds.kind, 'DaemonSet');
    assert.deepEqual(ds.spec.template.spec.containers[0].command, [
      '/usr/local/bin/kube-proxy',
      '--config=/var/lib/kube-proxy/config.conf',
      '--hostname-override=$(NODE_NAME)',
    ]);
    const nf = await ssh(cluster, node, 'root', `${KUBECTL} get ds nope -n kube-system -o json`);
    assert.deepEqual([nf.code, nf.stderr], [1, 'Error from server (NotFound): daemonsets.apps "nope" not found\n']);
    const list = JSON.parse(await root(cluster, node, `${KUBECTL} get nodes -o json`));
    assert.deepEqual(list.items.map((n: { metadata: { name: string } }) => n.metadata.name), ['h1']);
    const unchanged = await root(cluster, node, `${KUBECTL} patch node h1 --type=merge -p '{"metadata":{"labels":{"kubernetes.io/os":"linux"}}}'`);
    assert.equal(unchanged, 'node/h1 patched (no change)\n');
    // replace: the stale copy conflicts once something changed meanwhile; without resourceVersion it wins.
    await root(cluster, node, `${KUBECTL} get ds kube-proxy -n kube-system -o json > /tmp/kplay-ds.json`);
    await root(cluster, node, `${KUBECTL} -n kube-system patch ds kube-proxy --type=merge -p '{"metadata":{"annotations":{"kplay.io/x":"1"}}}'`);
    const conflict = await ssh(cluster, node, 'root', `${KUBECTL} replace -f /tmp/kplay-ds.json`);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /^Error from server \(Conflict\): error when replacing "\/tmp\/kplay-ds\.json": Operation cannot be fulfilled on daemonsets\.apps "kube-proxy": the object has been modified/);
    const replaced = await root(
      cluster,
      node,
      `node -e 'const f="/tmp/kplay-ds.json",o=JSON.parse(require("fs").readFileSync(f));delete o.metadata.resourceVersion;require("fs").writeFileSync(f,JSON.stringify(o))' && ${KUBECTL} replace -f /tmp/kplay-ds.json && rm /tmp/kplay-ds.json`,
    );
    assert.equal(replaced, 'daemonset.apps/kube-proxy replaced\n');
    const unknown = await ssh(cluster, node, 'root', `${KUBECTL} delete ds kube-proxy`);
    assert.deepEqual([unknown.code, unknown.stderr], [1, 'error: unknown command "delete" for "kubectl" (stand-in: supports get, patch, label, replace, create --raw)\n']);
  });

  test('kubectl on the controller (KPLAY_STANDIN_STATE): TokenRequests give a bounded service-account token, kube-root-ca.crt holds the CA, leases are read', () => {
    const c = cluster.controller(node);
    const [bin, kubeconfig] = c.vars.map((v) => v.slice(v.indexOf('=') + 1));
    const kubectl = (args: string[], input?: string) => spawnSync(bin!, ['--kubeconfig', kubeconfig!, ...args], { encoding: 'utf8', input, env: { ...process.env, ...c.env } });
    const request = (seconds: number) =>
      kubectl(['create', '--raw', '/api/v1/namespaces/kube-system/serviceaccounts/kube-proxy/token', '-f', '-'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: seconds } }));
    const r = request(3600);
    assert.equal(r.status, 0, r.stderr);
    const claims = tokenClaims((JSON.parse(r.stdout) as { status: { token: string } }).status.token);
    assert.equal(claims.sub, 'system:serviceaccount:kube-system:kube-proxy');
    assert.equal(claims.exp - claims.iat, 3600);
    const short = request(60);
    assert.equal(short.status, 1);
    assert.match(short.stderr, /may not specify a duration less than 10 minutes/);
    const ca = kubectl(['-n', 'kube-system', 'get', 'configmap', 'kube-root-ca.crt', '-o', 'json']);
    assert.equal((JSON.parse(ca.stdout) as { data: Record<string, string> }).data['ca.crt'], readFileSync(node.hostPath('/etc/kubernetes/pki/ca.crt'), 'utf8'), 'the cluster CA');
    const none = kubectl(['-n', 'kube-system', 'get', 'lease', 'kube-scheduler', '--ignore-not-found', '-o', 'jsonpath={.spec.holderIdentity}']);
    assert.deepEqual([none.status, none.stdout], [0, '']);
    const nf = kubectl(['-n', 'kube-system', 'get', 'lease', 'kube-scheduler']);
    assert.deepEqual([nf.status, nf.stderr], [1, 'Error from server (NotFound): leases.coordination.k8s.io "kube-scheduler" not found\n']);
  });

  test('kubectl is refused while the apiserver manifest is out', async () => {
    await root(cluster, node, 'mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/kube-apiserver.yaml.bak');
    await waitUntil('apiserver stops', async () => !(await node.healthy('kube-apiserver')), 5000);
    const r = await ssh(cluster, node, 'root', `${KUBECTL} get nodes`);
    assert.deepEqual(
      [r.code, r.stderr],
      [1, 'The connection to the server 127.0.0.2:6443 was refused - did you specify the right host or port?\n'],
    );
    const lbl = await ssh(cluster, node, 'root', `${KUBECTL} label node h1 a=b`);
    assert.equal(lbl.code, 1);
    await root(cluster, node, 'mv /etc/kubernetes/kube-apiserver.yaml.bak /etc/kubernetes/manifests/kube-apiserver.yaml');
    await node.waitHealthy('kube-apiserver', 15_000);
    assert.match(await root(cluster, node, `${KUBECTL} get nodes`), /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\nh1\s+Ready\s+control-plane/);
  });

  test('the sudo user finds the stand-ins first; systemctl needs root', async () => {
    const sudoer = cluster.lab.users.sudoer;
    const r = await ssh(
      cluster,
      node,
      sudoer,
      'for c in systemctl kubectl; do command -v $c; done; sudo -n sh -c "for c in systemctl kubectl; do command -v \\$c; done"; sudo -n systemctl is-active kubelet',
    );
    assert.deepEqual(
      [r.code, r.stdout],
      [0, '/usr/local/bin/systemctl\n/usr/local/bin/kubectl\n/usr/local/bin/systemctl\n/usr/local/bin/kubectl\nactive\n'],
      r.stderr,
    );
    assert.equal(r.stderr, '', 'the node resolves its own hostname, so sudo does not complain');
    const denied = await ssh(cluster, node, sudoer, 'systemctl stop kubelet');
    assert.deepEqual([denied.code, denied.stderr], [1, 'Failed to stop kubelet.service: Access denied\n']);
    const kc = await ssh(cluster, node, sudoer, KUBECTL + ' get nodes');
    assert.equal(kc.code, 1);
    assert.match(kc.stderr, /open \/etc\/kubernetes\/admin\.conf: permission denied/);
    const rootPath = await root(cluster, node, 'for c in systemctl kubectl; do command -v $c; done');
    assert.equal(rootPath, '/usr/local/bin/systemctl\n/usr/local/bin/kubectl\n');
  });

  test("orphans are reaped by the node's PID 1 (sshd): no zombies", async () => {
    // The subshell exits at once, so each sleep is re-parented to PID 1 of the node and exits there.
    await root(cluster, node, 'for i in 1 2 3 4 5; do (sleep 0.2 &); done; exit 0');
    await new Promise((r) => setTimeout(r, 1500));
    const ps = await node.exec('ps -eo pid,ppid,stat,comm');
    assert.equal(ps.code, 0);
    const zombies = ps.stdout.split('\n').filter((l) => /^\s*\d+\s+\d+\s+Z/.test(l));
    assert.deepEqual(zombies, []);
    assert.match(ps.stdout, /^\s*1\s+0\s+\S+\s+sshd$/m);
  });

  test('close() leaves no process of the node and removes its folder', async () => {
    const ns = readlinkSync(`/proc/${cluster.lab.host('h1').sshdPid()}/ns/pid`);
    const dir = node.dir;
    assert.notEqual(pgrep(dir), '');
    await cluster.close();
    assert.equal(pgrep(dir), '');
    const left = readdirSync('/proc').filter((e) => {
      if (!/^\d+$/.test(e)) return false;
      try {
        return readlinkSync(`/proc/${e}/ns/pid`) === ns;
      } catch {
        return false;
      }
    });
    assert.deepEqual(left, []);
    assert.equal(existsSync(dir), false);
  });
});

describe('stand-in cluster (two nodes)', { skip: standinUnavailable() }, () => {
  let cluster: StandinCluster;

  before(async () => {
    cluster = await startStandinCluster({ nodes: 2 });
  });
  after(async () => {
    await cluster?.close();
  });

  test('nodes share the cluster state; a DaemonSet exclusion hits only the labelled node', async () => {
    const [h1, h2] = cluster.nodes as [StandinNode, StandinNode];
    assert.deepEqual([h2.name, h2.address], ['h2', '127.0.0.3']);
    assert.equal(await root(cluster, h2, 'hostname'), 'h2\n');
    for (const c of ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kubelet'] as const) {
      assert.equal(await h2.healthy(c), true, `${c} on h2`);
    }
    assert.equal(h1.hostPath('/var/lib/kplay-standin/cluster.json'), h2.hostPath('/var/lib/kplay-standin/cluster.json'));
    assert.notEqual(h1.hostPath('/var/lib/kplay-standin/journal/kubelet.log'), h2.hostPath('/var/lib/kplay-standin/journal/kubelet.log'));
    // A change made on h1 is seen through h2's API server.
    await root(cluster, h1, `${KUBECTL} label node h2 kplay.io/debug=true`);
    const seen = await root(cluster, h2, `${KUBECTL} get node h2 -o jsonpath='{.metadata.labels}'`);
    assert.equal(JSON.parse(seen)['kplay.io/debug'], 'true');
    // h2's kubelet wants a kube-proxy pod (whose healthz cannot bind: see the limitation in standin-cluster.ts).
    const podState = 'ls /var/lib/kubelet/pods/*/state.json 2>/dev/null | grep -c kube-proxy || true';
    await waitUntil('h2 runs a kube-proxy pod', async () => (await h2.exec(podState)).stdout.trim() === '1', 5000);
    await root(cluster, h2, `${KUBECTL} -n kube-system patch ds kube-proxy --type=json -p ${shq(AFFINITY_PATCH)}`);
    await waitUntil('h2 drops its kube-proxy pod', async () => (await h2.exec(podState)).stdout.trim() === '0', 5000);
    await staysFalse('h2 runs kube-proxy', async () => (await h2.pids('kube-proxy')).length > 0, 1500);
    // The template changed, so (as in a rolling update) h1's pod is replaced, but it keeps running there.
    await h1.waitHealthy('kube-proxy', 10_000);
    assert.equal((await h1.pids('kube-proxy')).length, 1, 'h1 still runs kube-proxy');
    await root(cluster, h2, `${KUBECTL} label node h2 kplay.io/debug-`);
    await waitUntil('h2 runs kube-proxy again', async () => (await h2.exec(podState)).stdout.trim() === '1', 5000);
  });
});
