// npm run demo -- --real: the debug-apiserver.yaml session on a REAL Kubernetes 1.20.2 control plane
// (test/support/real-control-plane.ts): kubeadm 1.20's own PKI, kubeconfigs and manifests; Debian's etcd
// 3.4; kube-apiserver, kube-controller-manager and kube-scheduler built from Debian's 1.20.2 source, in a
// node with a network namespace of its own. The stand-ins left are the kubelet and systemctl (no container
// runtime and no systemd here). kplay builds the debug apiserver from the same tree, stops the real one,
// runs the build under Delve with the flags kubeadm gave it, and a Delve client on this machine stops it on
// a line of the checkout's staging/ folder when kubectl asks for /livez. Each stage is printed as it happens.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../test/helpers/files.js';
import { k8sTree, k8sTreeUnavailable } from '../test/support/k8s-tree.js';
import { startRealControlPlane } from '../test/support/real-control-plane.js';
import type { RealControlPlane } from '../test/support/real-control-plane.js';
import { breakAt, checkoutLine, endSession, removeEmptyIdeFolders, startRealSession } from '../test/support/real-debug-session.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
let stage = 0;
const say = (s: string) => console.log(`\n${bold(`${++stage}. ${s}`)}`);
const note = (s: string) => console.log(`   ${s}`);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);

function prerequisites(): void {
  if (process.getuid?.() !== 0) {
    console.error('npm run demo -- --real runs a Kubernetes node in namespaces of its own and an sshd in it, so it needs root.');
    process.exit(1);
  }
  if (k8sTreeUnavailable()) {
    console.log("Installing what the real control plane needs (Debian packages and Debian's kubernetes source): scripts/install-test-deps.sh");
    execFileSync(path.join(REPO_ROOT, 'scripts/install-test-deps.sh'), { stdio: 'inherit' });
  }
  const why = k8sTreeUnavailable();
  if (why) {
    console.error(`The real demo cannot run here: ${why}`);
    process.exit(1);
  }
}

async function session(cp: RealControlPlane, work: string): Promise<void> {
  const tree = await k8sTree();
  removeEmptyIdeFolders(tree);
  const manifest = cp.hostPath('/etc/kubernetes/manifests/kube-apiserver.yaml');
  const manifestSha = sha(manifest);
  const [before] = cp.pids('kube-apiserver');
  const flags = cp.cmdline(before!);
  say(`kube-apiserver runs (pid ${before}) with ${flags.length - 1} flags, exactly kubeadm's manifest; its sha256 ${manifestSha}…`);
  note(flags.slice(0, 3).join(' ') + ' …');

  say('kplay run debug-apiserver.yaml: build with debug information (the first run compiles for several minutes), upload, capture the flags, stop, launch under Delve, tunnel, hold');
  const run = await startRealSession(cp, tree, 'kube-apiserver', work, {
    onOutput: (text) => {
      for (const line of text.split('\n')) if (/ \.\.\. (changed|ok|failed)|holding until|\(style /.test(line)) note(`| ${line.trim()}`);
    },
  });
  let exit: { code: number | null; out: string };
  try {
    await run.attached(3_600_000);
    const [debug] = cp.pids('kube-apiserver');
    const argv = cp.cmdline(debug!);
    note(`under Delve now: ${argv[0]} with ${argv.length - 1} flags (the same as before: ${JSON.stringify(argv.slice(1)) === JSON.stringify(flags.slice(1))})`);

    const bp = checkoutLine(tree.dir, 'staging/src/k8s.io/apiserver/pkg/server/healthz/healthz.go', 'excluded := getExcludedChecks(r)');
    say(`A breakpoint on the checkout's ${path.relative(tree.dir, bp.local)}:${bp.line}, mapped through the written .vscode/launch.json, set through kplay's tunnel at 127.0.0.1:${run.localPort}`);
    const held = await breakAt(run, tree, bp, () => cp.execAsync('kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /livez', 180_000));
    note(`hit by kubectl get --raw /livez: stopped in ${held.at.function} at ${path.relative(tree.dir, bp.local)}:${held.at.line} (Delve's name for it: ${held.at.file})`);
    await held.release();
    const livez = (await held.triggered) as { stdout: string };
    note(`continued: kubectl got "${livez.stdout.trim()}"`);
  } finally {
    say('Ctrl-C: kplay stops Delve, puts the manifest back and waits until the original apiserver is healthy');
    exit = await endSession(run);
  }
  const r = exit;
  const deadline = Date.now() + 120_000;
  while (cp.exec('kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /livez').stdout.trim() !== 'ok' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 500));
  const [after] = cp.pids('kube-apiserver');
  const same = after !== undefined && JSON.stringify(cp.cmdline(after)) === JSON.stringify(flags);
  const dlvLeft = cp.exec('pgrep -x dlv').stdout.trim();
  note(`kplay exited with ${r.code}; the release kube-apiserver runs again (pid ${after}, original command line: ${same})`);
  note(`manifest sha256 ${sha(manifest)}… (${sha(manifest) === manifestSha ? 'byte-identical' : 'CHANGED'}); dlv processes left: ${dlvLeft || 'none'}; IDE settings left in the checkout: ${existsSync(path.join(tree.dir, '.vscode')) ? 'yes' : 'none'}`);
  if (r.code !== 0 || dlvLeft || !same || sha(manifest) !== manifestSha) throw new Error(`the session did not end cleanly:\n${r.out}`);
}

export async function realDemo(): Promise<void> {
  prerequisites();
  say("Starting a real Kubernetes control plane: kubeadm 1.20's phases, Debian's etcd, components built from Debian's 1.20.2 source (cached after the first run)");
  const t0 = Date.now();
  const cp = await startRealControlPlane({ ssh: true });
  const work = mkdtempSync(path.join(tmpdir(), 'kplay-demo-real-'));
  try {
    const version = cp.kubectl(['version', '--short']).match(/Server Version: (\S+)/)?.[1];
    note(`Kubernetes ${version} on node cp1 (10.250.0.10), up in ${Math.round((Date.now() - t0) / 1000)} s; kplay reaches it over SSH as host h1`);
    await session(cp, work);
    console.log(`\n${bold('Done:')} the session ended with the node as it was.`);
  } finally {
    await cp.close();
    rmSync(work, { recursive: true, force: true });
  }
}
