/**
 * A REAL Kubernetes 1.20 control plane for tests: kubeadm 1.20 writes the node's PKI, kubeconfigs and
 * static-pod manifests (`kubeadm init phase certs all`, `kubeconfig all`, `control-plane all`, `etcd local`),
 * and etcd (Debian's 3.4), kube-apiserver, kube-scheduler and kube-controller-manager (release builds of
 * Debian's 1.20.2 tree, see k8s-tree.ts) run with exactly the commands those manifests give.
 *
 * The node is standin/node/enter-node.sh with a network namespace of its own (KPLAY_STANDIN_NET): kubeadm's
 * paths are the node's, its address (10.250.0.10) has a route of its own as kubeadm needs, and nothing of
 * it reaches the machine's network. What stays a stand-in: the kubelet and systemctl (no container runtime
 * and no systemd here). kubeadm's `kubelet-start` phase writes the kubelet's real config.yaml and
 * kubeadm-flags.env and starts it through the stand-in systemctl; the stand-in kubelet then runs the static
 * pods' commands as processes of the node, and stops and starts them as their manifests leave and come back,
 * which is what the debug playbooks rely on.
 *
 * With `ssh: true` an sshd of the SSH lab (sshd-lab.ts) runs inside the node, reached from the machine at the
 * lab's address through a relay (netns-forward.ts): kplay drives the node as it would any host.
 *
 *   const cp = await startRealControlPlane({ ssh: true });
 *   after(() => cp.close());
 *   cp.kubectl(['get', 'namespaces']);
 *   cp.lab.inventory();                                      // kplay's inventory: host h1 is the node
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { releaseBinaries } from './k8s-tree.js';
import { forwardIntoNetns } from './netns-forward.js';
import type { NetnsForward } from './netns-forward.js';
import { startSshLab } from './sshd-lab.js';
import type { SshLab } from './sshd-lab.js';
import { KUBEADM_DROPIN, KUBELET_SERVICE, buildComponents } from './standin-cluster.js';

const ENTER_NODE = fileURLToPath(new URL('../../standin/node/enter-node.sh', import.meta.url));
const STANDIN_SYSTEMCTL = fileURLToPath(new URL('../../standin/node/bin/systemctl', import.meta.url));

/** The node's address inside its own network namespace. */
export const NODE_ADDRESS = '10.250.0.10';
export const NODE_NAME = 'cp1';
export const KUBERNETES_VERSION = 'v1.20.2';

/** The static pods kubeadm writes, in the order they start (etcd first: the apiserver needs it). */
export const STATIC_PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type StaticPod = (typeof STATIC_PODS)[number];

const NODE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };

/** Where the stand-in kubelet keeps a pod's state and output (container.log), inside the node. */
const PODS_DIR = '/var/lib/kubelet/pods';

/** kubeadm's own configuration, as `kubeadm init --config` takes it. */
function kubeadmConfig(): string {
  return `apiVersion: kubeadm.k8s.io/v1beta2
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${NODE_ADDRESS}
  bindPort: 6443
nodeRegistration:
  name: ${NODE_NAME}
---
apiVersion: kubeadm.k8s.io/v1beta2
kind: ClusterConfiguration
kubernetesVersion: ${KUBERNETES_VERSION}
clusterName: kplay-test
networking:
  serviceSubnet: 10.96.0.0/12
  podSubnet: 10.244.0.0/16
---
# kube-proxy (kubeadm's addon phase writes this into its ConfigMap) keeps off machine-wide settings:
# maxPerCore 0 and timeouts 0 mean "leave as is"; else it sets nf_conntrack_max and, where the hash
# table is smaller than a quarter of that, the machine-wide /sys/module/nf_conntrack/parameters/hashsize
# (cmd/kube-proxy/app/conntrack.go). Its iptables rules stay in the node's own network namespace.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}

export interface RealControlPlane {
  /** The node's folder on the machine (fs/ holds what the node sees at /etc/kubernetes, ...). */
  readonly dir: string;
  /** Runs a shell script inside the node (its mount, PID, UTS and network namespaces), as root. */
  exec(script: string, timeoutMs?: number): { code: number | null; stdout: string; stderr: string };
  /** exec() without blocking the test process (for a request a debugger holds). */
  execAsync(script: string, timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** The real kubectl inside the node, with kubeadm's admin.conf; throws with its stderr when it fails. */
  kubectl(args: string[]): string;
  /** A static pod's command line, as its manifest gives it. */
  command(pod: StaticPod): string[];
  /** Where a path of the node is on the machine. */
  hostPath(p: string): string;
  /** Whether the node (its PID 1, and so every process in it) still runs. */
  running(): boolean;
  /** Machine pids of the processes still in the node's PID namespace (none once close() is done). */
  processesLeft(): number[];
  /** Pids (as the node sees them) of processes whose argv[0] is the component's binary; dlv itself is not one. */
  pids(component: string): number[];
  /** A process's command line inside the node, [] when it is gone. */
  cmdline(pid: number): string[];
  /** The SSH lab whose host h1 is this node (with `ssh: true`). */
  readonly lab: SshLab | undefined;
  /**
   * The apiserver as a controller (the machine) reaches it: a kubeconfig with the credentials of the
   * node's /etc/kubernetes/FROM (admin.conf by default) whose server is a port of the machine relayed into
   * the node's network (netns-forward.ts); the TLS name stays "kubernetes", which kubeadm's serving
   * certificate names. The relay starts on first use and ends with the node.
   */
  controllerKubeconfig(from?: string): Promise<string>;
  /**
   * Makes the node look like a worker to its SSH sessions only (so to kplay): /etc/kubernetes holds just
   * kubelet.conf, pki/ca.crt and an empty manifests folder (no admin.conf), and kubectl cannot be run (each
   * one on PATH is covered by an empty file without permissions: sh's `command -v` finds none, bash's
   * names the file it cannot run). It happens in the sshd's own mount namespace: the node's other
   * processes (the kubelet, which runs kubectl) see no change. Returns the function that undoes it.
   */
  asWorkerForSessions(): () => void;
  close(): Promise<void>;
}

export interface RealControlPlaneOptions {
  /** Run an sshd of the SSH lab inside the node (host h1 of `lab`). */
  ssh?: boolean;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Where the machine reaches the node's apiserver (the relay listens on the port the apiserver has inside):
 * a loopback address of each node's own, from its PID 1, since test files run side by side and each may
 * start a control plane (a fixed address was taken by the other's relay).
 */
function apiFromMachine(pid1: number): string {
  return `127.250.${(pid1 >> 8) & 255}.${pid1 & 255}`;
}

class ControlPlane implements RealControlPlane {
  private holder: ChildProcess | undefined;
  private pid1 = 0;
  private pidNs = '';
  private apiForward: NetnsForward | undefined;
  lab: SshLab | undefined;

  constructor(readonly dir: string) {}

  async start(opts: RealControlPlaneOptions): Promise<void> {
    const [bins, standin] = await Promise.all([releaseBinaries(), buildComponents()]);
    const fs = (p: string) => path.join(this.dir, 'fs', p);
    for (const d of ['etc/kubernetes/manifests', 'usr/local/bin', 'var/lib/etcd', 'var/lib/kubelet', 'etc/systemd/system']) mkdirSync(fs(d), { recursive: true });
    for (const [name, file] of Object.entries(bins)) copyFileSync(file, fs(`usr/local/bin/${name}`));
    // The stand-ins: the kubelet (static pods as processes) and systemctl, which kubeadm calls.
    copyFileSync(path.join(standin, 'kubelet'), fs('usr/local/bin/kubelet'));
    copyFileSync(STANDIN_SYSTEMCTL, fs('usr/local/bin/systemctl'));
    writeFileSync(path.join(this.dir, 'kubeadm.yaml'), kubeadmConfig());
    // The node's PID 1 only holds its namespaces; what runs in it is started with exec(). Like a real
    // node's init it must reap what is left to it (a detached Delve whose session ended, say): with
    // SIGCHLD ignored, which exec keeps, the kernel reaps them (perl-base is in every Debian).
    this.holder = spawn(ENTER_NODE, [this.dir, NODE_NAME, '--', 'perl', '-e', '$SIG{CHLD} = "IGNORE"; exec "sleep", "infinity"'], {
      env: { ...process.env, KPLAY_STANDIN_NET: `${NODE_ADDRESS}/24` },
      // No pipe of ours: a node that outlived its test must not keep the test runner waiting on it.
      stdio: 'ignore',
    });
    this.holder.unref();
    this.pid1 = await this.waitForPid1();
    this.pidNs = readlinkSync(`/proc/${this.pid1}/ns/pid`);
    // As the packages install them; written once the node runs, so that it does not start a kubelet
    // before kubeadm has written the kubelet's configuration (a real one would crash-loop until then).
    mkdirSync(fs('etc/systemd/system/kubelet.service.d'), { recursive: true });
    writeFileSync(fs('etc/systemd/system/kubelet.service'), KUBELET_SERVICE);
    writeFileSync(fs('etc/systemd/system/kubelet.service.d/10-kubeadm.conf'), KUBEADM_DROPIN);
    this.kubeadm();
    await this.waitLive();
    if (opts.ssh) {
      const pid1 = this.pid1;
      this.lab = await startSshLab({
        hosts: 1,
        // A mount namespace of the sshd's own (a private copy of the node's), so that asWorkerForSessions()
        // can take files away from the sessions without the node's other processes noticing.
        wrap: () => ['nsenter', '-t', String(pid1), '-m', '-u', '-n', '-p', '--', 'unshare', '--mount', '--propagation', 'private', '--'],
        netns: () => pid1,
      });
    }
  }

  /** The node's PID 1 as the machine sees it: the `sleep` that unshare forked (enter-node.sh execs both). */
  private async waitForPid1(): Promise<number> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = spawnSync('pgrep', ['-P', String(this.holder!.pid), '-x', 'sleep'], { encoding: 'utf8' });
      const pid = Number(r.stdout.trim().split('\n')[0]);
      if (pid > 0) return pid;
      if (Date.now() > deadline) throw new Error('the control-plane node did not start (enter-node.sh)');
      await sleep(50);
    }
  }

  private nsenter(script: string): string[] {
    return ['-t', String(this.pid1), '-m', '-u', '-n', '-p', '--', '/bin/sh', '-c', script];
  }

  exec(script: string, timeoutMs = 120_000): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('nsenter', this.nsenter(script), { encoding: 'utf8', timeout: timeoutMs, env: NODE_ENV });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  execAsync(script: string, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('nsenter', this.nsenter(script), { encoding: 'utf8', timeout: timeoutMs, env: NODE_ENV }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
      );
    });
  }

  private must(script: string, what: string): string {
    const r = this.exec(script);
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /**
   * kubeadm 1.20's own phases, in `kubeadm init`'s order, from a config file: the PKI, kubeconfigs, the
   * kubelet's configuration (and a start of it through systemctl), and the static-pod manifests.
   */
  private kubeadm(): void {
    const cfg = shq(path.join(this.dir, 'kubeadm.yaml'));
    for (const phase of ['certs all', 'kubeconfig all', 'kubelet-start', 'control-plane all', 'etcd local']) {
      this.must(`kubeadm init phase ${phase} --config ${cfg}`, `kubeadm init phase ${phase}`);
    }
  }

  command(pod: StaticPod): string[] {
    const manifest = parse(readFileSync(this.hostPath(`/etc/kubernetes/manifests/${pod}.yaml`), 'utf8')) as {
      spec: { containers: { command: string[]; args?: string[] }[] };
    };
    const c = manifest.spec.containers[0]!;
    return [...c.command, ...(c.args ?? [])];
  }

  private async waitLive(): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = this.exec('kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /livez', 10_000);
      if (r.code === 0 && r.stdout.trim() === 'ok') return;
      if (Date.now() > deadline) {
        const log = this.exec(`tail -n 20 /var/lib/kplay-standin/journal/kubelet.log ${PODS_DIR}/kube-apiserver-${NODE_NAME}/container.log ${PODS_DIR}/etcd-${NODE_NAME}/container.log`).stdout;
        throw new Error(`the real kube-apiserver did not become live within 120 s:\n${r.stderr}\n${log}`);
      }
      await sleep(500);
    }
  }

  kubectl(args: string[]): string {
    return this.must(`kubectl --kubeconfig /etc/kubernetes/admin.conf ${args.map(shq).join(' ')}`, `kubectl ${args.join(' ')}`);
  }

  async controllerKubeconfig(from = 'admin.conf'): Promise<string> {
    const address = apiFromMachine(this.pid1);
    this.apiForward ??= await forwardIntoNetns(this.pid1, address, 6443);
    const file = path.join(this.dir, `controller-${from}`);
    const config = parse(readFileSync(this.hostPath(`/etc/kubernetes/${from}`), 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
    for (const c of config.clusters) {
      c.cluster.server = `https://${address}:6443`;
      c.cluster['tls-server-name'] = 'kubernetes';
    }
    writeFileSync(file, stringify(config), { mode: 0o600 });
    return file;
  }

  asWorkerForSessions(): () => void {
    const sshd = this.lab?.hosts[0]?.sshdPid();
    if (!sshd) throw new Error('asWorkerForSessions needs the node started with ssh: true');
    const inSshd = (script: string) => {
      // The PID namespace too: the node's /proc shows only its own processes, and umount reads /proc/self.
      const r = spawnSync('nsenter', ['-t', String(sshd), '-m', '-p', '--', '/bin/sh', '-c', `set -e\n${script}`], { encoding: 'utf8', env: NODE_ENV });
      if (r.status !== 0) throw new Error(`in the sshd's mount namespace: ${script}\n${r.stderr}`);
    };
    const keep = shq(path.join(this.dir, 'worker'));
    const empty = shq(path.join(this.dir, 'worker-empty'));
    const kubectls = ['/usr/local/bin/kubectl', '/usr/bin/kubectl'].filter((k) => existsSync(this.hostPath(k)));
    inSshd(`mkdir -p ${keep}/pki && : > ${empty} && chmod 000 ${empty}
cp -p /etc/kubernetes/kubelet.conf ${keep}/ && cp -p /etc/kubernetes/pki/ca.crt ${keep}/pki/
mount -t tmpfs -o mode=0755,size=4m kplay-worker /etc/kubernetes
mkdir /etc/kubernetes/manifests /etc/kubernetes/pki
cp -p ${keep}/kubelet.conf /etc/kubernetes/ && cp -p ${keep}/pki/ca.crt /etc/kubernetes/pki/
${kubectls.map((k) => `mount --bind ${empty} ${k}`).join('\n')}`);
    return () => inSshd([...kubectls.map((k) => `umount ${k}`), 'umount /etc/kubernetes', `rm -rf ${keep} ${empty}`].join('\n'));
  }

  hostPath(p: string): string {
    for (const b of ['/etc/kubernetes', '/usr/local/bin', '/var/lib/etcd', '/var/lib/kubelet', '/etc/systemd/system']) {
      if (p === b || p.startsWith(`${b}/`)) return path.join(this.dir, 'fs', p);
    }
    return p;
  }

  /** Whether the node still runs (its PID 1 is alive). */
  running(): boolean {
    return this.pid1 > 0 && spawnSync('kill', ['-0', String(this.pid1)]).status === 0;
  }

  pids(component: string): number[] {
    const r = this.exec(`for p in /proc/[0-9]*; do a=$(tr '\\0' '\\n' <"$p/cmdline" 2>/dev/null | head -n 1); [ "\${a##*/}" = ${shq(component)} ] && echo "\${p#/proc/}"; done; true`);
    return r.stdout.split('\n').filter(Boolean).map(Number).sort((x, y) => x - y);
  }

  cmdline(pid: number): string[] {
    const r = this.exec(`cat /proc/${pid}/cmdline 2>/dev/null; true`);
    return r.stdout ? r.stdout.replace(/\0$/, '').split('\0') : [];
  }

  processesLeft(): number[] {
    if (!this.pidNs) return [];
    return readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readlinkSync(`/proc/${p}/ns/pid`) === this.pidNs;
        } catch {
          return false; // gone
        }
      })
      .map(Number);
  }

  async close(): Promise<void> {
    await this.apiForward?.close();
    await this.lab?.close();
    // unshare --fork blocks SIGTERM while it waits, so the node ends by its PID 1: when PID 1 of a PID
    // namespace dies, the kernel kills every other process in it, and unshare then exits too.
    const pids = [this.pid1, this.holder?.pid ?? 0].filter((p) => p > 0);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    const deadline = Date.now() + 10_000;
    while (pids.some((p) => spawnSync('kill', ['-0', String(p)]).status === 0) && Date.now() < deadline) await sleep(50);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Builds (or takes from the cache) the real components and starts the control plane. */
export async function startRealControlPlane(opts: RealControlPlaneOptions = {}): Promise<RealControlPlane> {
  const cp = new ControlPlane(mkdtempSync(path.join(tmpdir(), 'kplay-real-cp-')));
  try {
    await cp.start(opts);
  } catch (e) {
    await cp.close();
    throw e;
  }
  return cp;
}
