/**
 * The REAL kube-proxy 1.20.2 on the real control plane's node (real-control-plane.ts): kubeadm 1.20's own
 * `init phase addon kube-proxy` creates its ServiceAccount, RBAC, ConfigMap and DaemonSet; the REAL DaemonSet
 * controller and scheduler put its pod on the node; the node's stand-in kubelet (started by kubeadm's
 * kubelet-start phase), in API mode (it registers the Node, renews its Lease and reads its pods through the
 * real kubectl with the node's kubelet.conf), runs the pod's command, the release build
 * /usr/local/bin/kube-proxy, with the pod's real service-account token. kube-proxy runs in iptables mode: its
 * rules land in the node's own network namespace, and the kubeadm configuration keeps it off machine-wide
 * conntrack settings, so the machine's network never changes.
 *
 *   const cp = await startRealControlPlane();
 *   await startKubeProxy(cp);          // resolves once http://127.0.0.1:10256/healthz answers 200 in the node
 *   kubeProxyPid(cp);                  // the running kube-proxy's PID in the node, or 0
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RealControlPlane } from './real-control-plane.js';

/** The stand-in kubelet's journal inside the node (the stand-in systemctl runs it as kubeadm's unit). */
export const KUBELET_LOG = '/var/lib/kplay-standin/journal/kubelet.log';

function mustExec(cp: RealControlPlane, script: string, what: string): string {
  const r = cp.exec(script);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/** The PID (in the node) of the running kube-proxy, or 0. */
export function kubeProxyPid(cp: RealControlPlane): number {
  return cp.pids('kube-proxy')[0] ?? 0;
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
 * Creates kube-proxy's addon with kubeadm 1.20 (the apiserver is live once the control plane has started)
 * and waits until the node's kubelet runs the real kube-proxy, healthy.
 */
export async function startKubeProxy(cp: RealControlPlane): Promise<void> {
  // The same kubeadm configuration the control plane was made from (its KubeProxyConfiguration included).
  mustExec(cp, `kubeadm init phase addon kube-proxy --config '${path.join(cp.dir, 'kubeadm.yaml')}'`, 'kubeadm init phase addon kube-proxy');
  await waitFor(cp, 'the real kube-proxy answering /healthz with 200 in the node', () => kubeProxyHealthz(cp) === '200', 180_000);
}
