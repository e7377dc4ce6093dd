/**
 * The REAL kube-proxy 1.20.2 on the real control plane's node (real-control-plane.ts): kubeadm 1.20's own
 * `init phase addon kube-proxy` creates its ServiceAccount, RBAC, ConfigMap and DaemonSet; the REAL DaemonSet
 * controller and scheduler put its pod on the node; the stand-in kubelet, in API mode (it registers the Node,
 * renews its Lease and reads its pods through the real kubectl with the node's kubelet.conf), runs the pod's
 * command, the release build /usr/local/bin/kube-proxy, with the pod's real service-account token. kube-proxy
 * runs in iptables mode: its rules land in the node's own network namespace, and the kubeadm configuration
 * keeps it off machine-wide conntrack settings, so the machine's network never changes.
 *
 *   const cp = await startRealControlPlane();
 *   await startKubeProxy(cp);          // resolves once http://127.0.0.1:10256/healthz answers 200 in the node
 *   kubeProxyPid(cp);                  // the running kube-proxy's PID in the node, or 0
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { RealControlPlane } from './real-control-plane.js';

const STANDIN_TREE = fileURLToPath(new URL('../../standin/kubernetes', import.meta.url));
/** The lock every make in the stand-in tree holds (shared with standin-cluster.ts's builds). */
const STANDIN_BUILD_LOCK = '/run/lock/kplay-standin-build.lock';
/** Where the stand-in kubelet started here writes its log, inside the node. */
export const KUBELET_LOG = '/var/lib/kubelet/pod-logs/kubelet.log';
/** An empty static-pod folder: the fixture starts the control plane's static pods itself. */
const NO_STATIC_PODS = '/var/lib/kubelet/kplay-no-static-pods';

/** Builds the stand-in kubelet (its API mode talks to the real API server) and returns its path. */
async function buildStandinKubelet(): Promise<string> {
  mkdirSync(path.dirname(STANDIN_BUILD_LOCK), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const make = spawn('flock', [STANDIN_BUILD_LOCK, 'make', '-C', STANDIN_TREE, 'WHAT=cmd/kubelet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    make.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    make.on('error', reject);
    make.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`building the stand-in kubelet failed (exit ${code}):\n${stderr}`))));
  });
  return path.join(STANDIN_TREE, '_output/bin/kubelet');
}

function mustExec(cp: RealControlPlane, script: string, what: string): string {
  const r = cp.exec(script);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * Starts the stand-in kubelet in the node unless one runs already (a control plane whose static pods the
 * kubelet runs has started it). It runs no static pods here: the fixture runs them itself.
 */
async function ensureKubelet(cp: RealControlPlane): Promise<void> {
  if (cp.exec('pgrep -x kubelet').code === 0) return;
  const binary = await buildStandinKubelet();
  if (!existsSync(cp.hostPath('/usr/local/bin/kubelet'))) copyFileSync(binary, cp.hostPath('/usr/local/bin/kubelet'));
  const argv = ['kubelet', '--kubeconfig=/etc/kubernetes/kubelet.conf', `--hostname-override=${nodeName(cp)}`, `--node-ip=${nodeIP(cp)}`,
    `--pod-manifest-path=${NO_STATIC_PODS}`];
  mustExec(cp, `mkdir -p ${NO_STATIC_PODS} && setsid ${argv.join(' ')} </dev/null >>${KUBELET_LOG} 2>&1 &`, 'starting the stand-in kubelet');
}

/** The node's name: its hostname, as kubeadm's nodeRegistration.name (kubelet.conf's system:node:NAME). */
function nodeName(cp: RealControlPlane): string {
  return mustExec(cp, 'hostname', 'reading the node name').trim();
}

function nodeIP(cp: RealControlPlane): string {
  const m = /--advertise-address=(\S+)/.exec(readFileSync(cp.hostPath('/etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8'));
  if (!m) throw new Error('the kube-apiserver manifest has no --advertise-address');
  return m[1]!;
}

/** The PID (in the node) of the running kube-proxy, or 0. */
export function kubeProxyPid(cp: RealControlPlane): number {
  const r = cp.exec('pgrep -x kube-proxy');
  return r.code === 0 ? Number(r.stdout.trim().split('\n')[0]) : 0;
}

/** kube-proxy's /healthz status code inside the node ('000' when nothing answers). */
export function kubeProxyHealthz(cp: RealControlPlane): string {
  return cp.exec('curl -s -o /dev/null -w %{http_code} --max-time 5 http://127.0.0.1:10256/healthz').stdout.trim();
}

/** Waits until `check` returns a truthy value (returned), or fails with `what` and the kubelet's log. */
export async function waitFor<T>(cp: RealControlPlane, what: string, check: () => T, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) {
      const log = cp.exec(`tail -n 30 ${KUBELET_LOG}`).stdout;
      throw new Error(`${what}: not within ${timeoutMs / 1000} s. The kubelet's log (tail):\n${log}`);
    }
    await sleep(500);
  }
}

/**
 * Creates kube-proxy's addon with kubeadm 1.20 (once the apiserver is live), makes sure a kubelet runs in the
 * node, and waits until the real kube-proxy is healthy there.
 */
export async function startKubeProxy(cp: RealControlPlane): Promise<void> {
  // The same kubeadm configuration the control plane was made from (its KubeProxyConfiguration included).
  mustExec(cp, `kubeadm init phase addon kube-proxy --config '${path.join(cp.dir, 'kubeadm.yaml')}'`, 'kubeadm init phase addon kube-proxy');
  await ensureKubelet(cp);
  await waitFor(cp, 'the real kube-proxy answering /healthz with 200 in the node', () => kubeProxyHealthz(cp) === '200', 180_000);
}
