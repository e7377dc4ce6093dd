// End to end: the five shipped debug playbooks against a stand-in node (an sshd in its own mount
// and PID namespaces with kubeadm's paths, a stand-in kubelet, systemctl and kubectl, and Go
// stand-ins of the components built from a stand-in Kubernetes tree), with the real kplay CLI,
// real OpenSSH, Go and Delve. For each: the debug build runs with exactly the flags the component
// had, a Delve client through kplay's tunnel stops it on a breakpoint hit by a real request, and
// Ctrl-C puts the node back (manifest byte-identical, original component healthy, no dlv left).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { kplay } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/files.js';
import { breakpointLine, hitBreakpoint, standinTarget, startDebugRun } from '../support/debug-session.js';
import type { DebugRun } from '../support/debug-session.js';
import { assertServiceAccountKubeconfig, assertTokenNowhere } from '../support/proxy-credentials.js';
import { COMPONENTS, standinUnavailable, startStandinCluster } from '../support/standin-cluster.js';
import type { Component, StandinCluster, StandinNode } from '../support/standin-cluster.js';

const unavailable = standinUnavailable() ?? (existsSync('/usr/bin/dlv') ? undefined : 'needs delve (scripts/install-test-deps.sh)');

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** What the node looks like before a session, to compare with afterwards. */
interface Before {
  pid: number;
  cmdline: string[];
  /** sha256 of each file the component's stop touches, by node path. */
  files: Record<string, string>;
}

async function snapshot(node: StandinNode, c: Component): Promise<Before> {
  const pids = await node.pids(c);
  assert.equal(pids.length, 1, `one ${c} runs before the session`);
  const files: Record<string, string> = {};
  for (const p of [node.manifestPath(c), '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf', '/var/lib/kplay-standin/cluster.json']) {
    if (existsSync(node.hostPath(p))) files[p] = sha(node.hostPath(p));
  }
  return { pid: pids[0]!, cmdline: await node.cmdline(pids[0]!), files };
}

async function dlvProcesses(node: StandinNode): Promise<string> {
  return (await node.exec('pgrep -a -x dlv || true')).stdout.trim();
}

/** Waits until the node is as it was: same files, component healthy again, nothing of kplay's left. */
async function assertRestored(node: StandinNode, c: Component, b: Before, run: DebugRun): Promise<void> {
  assert.equal(await dlvProcesses(node), '', 'no dlv left on the node');
  await node.waitHealthy(c, 60_000);
  const pids = await node.pids(c);
  assert.equal(pids.length, 1, `exactly one ${c} runs again`);
  assert.deepEqual(await node.cmdline(pids[0]!), b.cmdline, `the original ${c} runs with its original command line`);
  for (const [p, h] of Object.entries(b.files)) {
    // cluster.json holds resourceVersions that the patch and its undo moved on; the kube-proxy
    // test compares the DaemonSet's spec instead.
    if (p.endsWith('cluster.json')) continue;
    assert.equal(sha(node.hostPath(p)), h, `${p} is byte-identical`);
  }
  assert.deepEqual(readdirSync(run.ideDir), [], 'the IDE settings were removed (nothing was there before)');
  assert.equal(existsSync(run.remoteDir), false, 'the uploads were removed');
  assert.equal(existsSync(node.hostPath('/etc/kubernetes/kplay-backup')), false, 'no backup folder left');
}

/** The undo of the stop, by how the component is stopped, as the run prints it. */
const STOP_UNDO: Record<Component, RegExp> = {
  'kube-apiserver': /move \S+ back to \/etc\/kubernetes\/manifests\//,
  'kube-scheduler': /move \S+ back to \/etc\/kubernetes\/manifests\//,
  'kube-controller-manager': /move \S+ back to \/etc\/kubernetes\/manifests\//,
  'kube-proxy': /Remove the node's label/,
  kubelet: /Start the unit again/,
};

/**
 * The wait for the original component (rollback_after in the stop files) ends after the stop is
 * undone and before the health check is removed.
 */
function assertHealthWaitOrder(out: string, c: Component): void {
  const lines = out.split('\n');
  const ended = (re: RegExp): number => lines.reduce((last, l, i) => (re.test(l) && / \.\.\. \S/.test(l) ? i : last), -1);
  const wait = ended(/Wait until the original component is healthy again/);
  assert.ok(wait > 0, `the health wait ran:\n${out}`);
  const stop = ended(STOP_UNDO[c]);
  assert.ok(stop > 0 && stop < wait, `after the stop's undo:\n${out}`);
  assert.ok(wait < ended(/Remove the health check/), `before the health check is removed:\n${out}`);
}

describe('shipped debug playbooks on a stand-in node', { skip: unavailable }, () => {
  let cluster: StandinCluster;
  let node: StandinNode;
  let work: string;
  before(async () => {
    cluster = await startStandinCluster({ nodes: 1 });
    node = cluster.nodes[0]!;
    work = mkdtempSync(path.join(tmpdir(), 'kplay-e2e-'));
  });
  after(async () => cluster?.close());

  for (const c of COMPONENTS) {
    test(`${c}: breakpoint hit through the tunnel, exact flags, Ctrl-C restores`, async () => {
      const b = await snapshot(node, c);
      const podsBefore: Record<string, number[]> = {};
      for (const pod of ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager'] as const) podsBefore[pod] = await node.pids(pod);
      const dsBefore = clusterState(node).daemonsets['kube-system/kube-proxy']!.spec;
      const proxyKubeconfigBefore = await proxyKubeconfig(node);
      const run = await startDebugRun({ ...standinTarget(cluster, node, c), component: c, workDir: mkdtempSync(path.join(work, `${c}-`)) });
      let token = '';
      try {
        await run.attached();
        // The debug build from the tree runs under Delve with the original flags, argv[0] aside.
        const debug = await node.pids(c);
        assert.equal(debug.length, 1, `one ${c} runs during the session: ${debug}`);
        const argv = await node.cmdline(debug[0]!);
        assert.equal(argv[0], path.join(run.remoteDir, c));
        assert.deepEqual(argv.slice(1), b.cmdline.slice(1), 'exactly the captured flags');
        assert.notEqual(debug[0], b.pid);
        assert.match(await dlvProcesses(node), new RegExp(`dlv exec ${run.remoteDir}/${c} --headless --listen=127\\.0\\.0\\.1:${run.dlvPort}`));
        // The static pod's manifest is out of the kubelet's folder, in the backup folder.
        if (c.startsWith('kube-') && c !== 'kube-proxy') {
          assert.equal(existsSync(node.hostPath(node.manifestPath(c))), false);
          assert.equal(sha(node.hostPath(`/etc/kubernetes/kplay-backup/${c}.yaml`)), b.files[node.manifestPath(c)]);
        }
        // IDE settings point at the tunnel and map the build's source path.
        const launch = JSON.parse(readFileSync(path.join(run.ideDir, '.vscode/launch.json'), 'utf8'));
        assert.equal(launch.configurations[0].port, run.localPort);
        assert.deepEqual(launch.configurations[0].substitutePath, [{ from: '${workspaceFolder}', to: run.treeDir }]);
        assert.match(readFileSync(path.join(run.ideDir, `.idea/runConfigurations/kplay_${c.replaceAll('-', '_')}.xml`), 'utf8'), new RegExp(`type="GoRemoteDebugConfigurationType" factoryName="Go Remote" host="127.0.0.1" port="${run.localPort}"`));

        if (c === 'kube-proxy') {
          const state = clusterState(node);
          assert.equal(state.nodes[node.name]!.metadata.labels['kplay.io/debug'], 'true', 'the node carries the debug label');
          assert.deepEqual(state.daemonsets['kube-system/kube-proxy']!.spec.template.spec.affinity?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
            { matchExpressions: [{ key: 'kplay.io/debug', operator: 'DoesNotExist' }] },
          ]);
          token = await assertServiceAccountKubeconfigOn(node);
        }
        if (c === 'kubelet') {
          // Static pods are not the kubelet's children: they run on while it is debugged.
          for (const pod of ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager'] as const) assert.deepEqual(await node.pids(pod), podsBefore[pod], `${pod} kept running`);
        }

        const at = await hitBreakpoint(run, node, c);
        const bp = breakpointLine(run.treeDir);
        assert.equal(at.file, bp.file);
        assert.equal(at.line, bp.line);
        assert.match(at.function, /standin\.Healthz$/);
      } finally {
        run.child.kill('SIGINT');
      }
      const r = await run.exited;
      assert.equal(r.code, 0, r.out);
      assertHealthWaitOrder(r.out, c);
      await assertRestored(node, c, b, run);
      // The DaemonSet is back to its saved spec and the node has no debug label.
      const state = clusterState(node);
      assert.deepEqual(state.daemonsets['kube-system/kube-proxy']!.spec, dsBefore);
      assert.equal(state.nodes[node.name]!.metadata.labels['kplay.io/debug'], undefined);
      if (c === 'kube-proxy') {
        assert.equal(await proxyKubeconfig(node), proxyKubeconfigBefore, "the node's kubeconfig.conf is as it was before the session");
        assertTokenNowhereAfter(token, r.out, run);
      }
    });
  }

  for (const c of ['kube-apiserver', 'kube-proxy'] as const) {
    test(`${c}: flags_from=manifest launches with the ${c === 'kube-proxy' ? "DaemonSet's command, $(NODE_NAME) replaced" : "manifest's command"}`, async () => {
      const b = await snapshot(node, c);
      // What the kubelet ran: the manifest's (or pod template's) command, NODE_NAME expanded.
      const state = JSON.parse(readFileSync(node.hostPath('/var/lib/kplay-standin/cluster.json'), 'utf8'));
      const declared: string[] =
        c === 'kube-proxy'
          ? state.daemonsets['kube-system/kube-proxy'].spec.template.spec.containers[0].command.map((a: string) => a.replace('$(NODE_NAME)', node.name))
          : (parseYaml(readFileSync(node.hostPath(node.manifestPath(c)), 'utf8')) as { spec: { containers: { command: string[] }[] } }).spec.containers[0]!.command;
      const run = await startDebugRun({ ...standinTarget(cluster, node, c), component: c, extraVars: ['flags_from=manifest'], workDir: mkdtempSync(path.join(work, `manifest-${c}-`)) });
      try {
        await run.attached();
        assert.match(run.output(), /Read the flags back \.\.\. ok/);
        assert.match(run.output(), /Write down the running process's flags \.\.\. skipped/);
        const argv = await node.cmdline((await node.pids(c))[0]!);
        assert.deepEqual(argv.slice(1), declared.slice(1));
        assert.ok(!argv.some((a) => a.includes('$(')), 'no unexpanded variable');
      } finally {
        run.child.kill('SIGINT');
      }
      const r = await run.exited;
      assert.equal(r.code, 0, r.out);
      await assertRestored(node, c, b, run);
    });
  }

  test('preflight: a manifest that is not where expected stops the run before anything changes', async () => {
    const c: Component = 'kube-scheduler';
    const b = await snapshot(node, c);
    const run = await startDebugRun({ ...standinTarget(cluster, node, c), component: c, extraVars: ['manifest=/etc/kubernetes/manifests/elsewhere.yaml'], workDir: mkdtempSync(path.join(work, 'preflight-')) });
    const r = await run.exited;
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /\/etc\/kubernetes\/manifests\/elsewhere\.yaml does not exist: set manifest \(or manifest_dir\) to where the kubelet reads it/);
    assert.doesNotMatch(r.out, /Build the component with debug information \.\.\. changed/, 'nothing was built');
    assert.deepEqual(await node.pids(c), [b.pid], 'the scheduler was not touched');
    assert.equal(existsSync(run.remoteDir), false, 'nothing was uploaded');
    assert.deepEqual(readdirSync(run.ideDir), []);
  });

  test('build_host: the build runs on another machine over ssh and is fetched; dlv_upload puts Delve on a node without one', async () => {
    const c: Component = 'kube-controller-manager';
    const b = await snapshot(node, c);
    const work2 = mkdtempSync(path.join(work, 'builder-'));
    // The controller reaches the build machine (here: the stand-in node's sshd) through an ssh_config.
    const sshConfig = path.join(work2, 'ssh_config');
    const h = cluster.lab.hosts[0]!;
    writeFileSync(
      sshConfig,
      `Host builder\n  HostName ${h.address}\n  Port ${h.port}\n  User root\n  IdentityFile ${cluster.lab.clientKey}\n  UserKnownHostsFile ${cluster.lab.knownHosts}\n  StrictHostKeyChecking yes\n`,
    );
    const run = await startDebugRun({
      ...standinTarget(cluster, node, c),
      component: c,
      extraVars: [`build_ssh_config=${sshConfig}`, 'build_host=builder', 'dlv_upload=/usr/bin/dlv', 'dlv_bin=/nonexistent/dlv'],
      workDir: work2,
    });
    try {
      await run.attached();
      assert.match(run.output(), /Fetch the build from the build host \.\.\. changed/);
      assert.match(run.output(), /Upload Delve \.\.\. changed/);
      const fetched = path.join(work2, 'kplay-builds', c);
      assert.equal(sha(path.join(run.remoteDir, c)), sha(fetched), 'the node runs the build fetched from the build host');
      assert.match(await dlvProcesses(node), new RegExp(`^\\d+ ${run.remoteDir}/dlv exec `, 'm'), 'the uploaded Delve runs');
      assert.deepEqual((await node.cmdline((await node.pids(c))[0]!)).slice(1), b.cmdline.slice(1));
    } finally {
      run.child.kill('SIGINT');
    }
    const r = await run.exited;
    assert.equal(r.code, 0, r.out);
    await assertRestored(node, c, b, run);
  });

  test('--detach leaves the session running after kplay exits; kplay rollback RUN_ID ends it later', async () => {
    const c: Component = 'kube-apiserver';
    const b = await snapshot(node, c);
    const workDir = mkdtempSync(path.join(work, 'detach-'));
    const run = await startDebugRun({ ...standinTarget(cluster, node, c), component: c, flags: ['--detach'], workDir });
    const r = await run.exited;
    assert.equal(r.code, 0, r.out);
    const runId = /; run (\S+)/.exec(r.out)?.[1];
    assert.ok(runId, r.out);
    // Still debugging: Delve runs the build, the manifest is out, the IDE settings are in place.
    assert.match(await dlvProcesses(node), /dlv exec /);
    assert.equal(existsSync(node.hostPath(node.manifestPath(c))), false);
    assert.ok(existsSync(path.join(run.ideDir, '.vscode/launch.json')));
    const rb = kplay(['rollback', runId], { cwd: workDir, env: { SSH_AUTH_SOCK: '', KPLAY_STATE_DIR: path.join(workDir, 'state') }, timeoutMs: 300_000 });
    assert.equal(rb.code, 0, rb.out + rb.err);
    await assertRestored(node, c, b, run);
  });

  test('a launch that fails after the stop (the port was taken meanwhile) puts the node back, exit 2', async () => {
    const c: Component = 'kube-apiserver';
    const b = await snapshot(node, c);
    const run = await startDebugRun({ ...standinTarget(cluster, node, c), component: c, workDir: mkdtempSync(path.join(work, 'taken-')) });
    // Free at the preflight; taken once the manifest has left the kubelet's folder.
    const manifest = node.hostPath(node.manifestPath(c));
    const t0 = Date.now();
    while (existsSync(manifest)) {
      assert.ok(Date.now() - t0 < 300_000, `the manifest to be moved:\n${run.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const squatter = net.createServer().listen(run.dlvPort, '127.0.0.1');
    try {
      const r = await run.exited;
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, /Launch under Delve \.\.\. failed/);
      assert.match(r.out, /address already in use/);
      await assertRestored(node, c, b, run);
    } finally {
      squatter.close();
    }
  });

  test('as a sudo user: Delve runs as root and the tunnel reaches it; leader_elect=false replaces the flag', async () => {
    const c: Component = 'kube-scheduler';
    const b = await snapshot(node, c);
    assert.ok(b.cmdline.includes('--leader-elect=true'));
    const run = await startDebugRun({ ...standinTarget(cluster, node, c), component: c, user: cluster.lab.users.sudoer, extraVars: ['leader_elect=false'], workDir: mkdtempSync(path.join(work, 'sudo-')) });
    try {
      await run.attached();
      const debug = await node.pids(c);
      const argv = await node.cmdline(debug[0]!);
      assert.deepEqual(argv.slice(1), [...b.cmdline.slice(1).filter((a) => !a.startsWith('--leader-elect')), '--leader-elect=false']);
      assert.match((await node.exec(`ps -o user= -p ${debug[0]}`)).stdout, /root/);
      const at = await hitBreakpoint(run, node, c);
      assert.equal(at.line, breakpointLine(run.treeDir).line);
    } finally {
      run.child.kill('SIGINT');
    }
    const r = await run.exited;
    assert.equal(r.code, 0, r.out);
    await assertRestored(node, c, b, run);
  });
});

interface ClusterState {
  nodes: Record<string, { metadata: { labels: Record<string, string> } }>;
  daemonsets: Record<string, { spec: { template: { spec: { affinity?: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: unknown[] } } } } } } }>;
}

function clusterState(node: StandinNode): ClusterState {
  return JSON.parse(readFileSync(node.hostPath('/var/lib/kplay-standin/cluster.json'), 'utf8')) as ClusterState;
}

const PROXY_KUBECONFIG = '/var/lib/kube-proxy/kubeconfig.conf';

/** The node's kube-proxy kubeconfig.conf, or null when there is none. */
async function proxyKubeconfig(node: StandinNode): Promise<string | null> {
  const r = await node.exec(`cat ${PROXY_KUBECONFIG}`);
  return r.code === 0 ? r.stdout : null;
}

/** The host-run kube-proxy's kubeconfig holds a token of its service account, not the admin's credentials; returns the token. */
async function assertServiceAccountKubeconfigOn(node: StandinNode): Promise<string> {
  const state = JSON.parse(readFileSync(node.hostPath('/var/lib/kplay-standin/cluster.json'), 'utf8'));
  const server = /server: (\S+)/.exec(state.configmaps['kube-system/kube-proxy'].data['kubeconfig.conf'])![1]!;
  const text = (await proxyKubeconfig(node)) ?? '';
  const mode = (await node.exec(`stat -c %a ${PROXY_KUBECONFIG}`)).stdout.trim();
  assert.doesNotMatch(text, /kubernetes-admin|client-certificate|client-key/, 'nothing of admin.conf');
  return assertServiceAccountKubeconfig({ text, mode, caPem: state.configmaps['kube-system/kube-root-ca.crt'].data['ca.crt'], server, account: 'kube-system:kube-proxy' });
}

/** The token is not in kplay's output, nor in its state on the controller (journal, backups) or on the node. */
function assertTokenNowhereAfter(token: string, out: string, run: DebugRun): void {
  assertTokenNowhere(token, { "kplay's output": out }, [path.join(path.dirname(run.remoteDir), 'state'), '/var/lib/kplay']);
}
