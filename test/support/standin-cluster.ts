/**
 * A STAND-IN Kubernetes cluster for end-to-end tests, where no real control plane can run: every node is an
 * sshd of the SSH lab (test/support/sshd-lab.ts) wrapped by standin/node/enter-node.sh, so it runs as PID 1 of
 * its own PID, mount and UTS namespace, with kubeadm-like node paths bind-mounted from a per-node folder and
 * the stand-in components of standin/kubernetes (built once per process, release-style) run by the stand-in
 * kubelet from static pod manifests (apiserver, scheduler, controller-manager) and from the kube-proxy
 * DaemonSet in the cluster state.
 *
 *   const cluster = await startStandinCluster();            // one node: h1 on 127.0.0.2
 *   after(() => cluster.close());
 *   const inv = cluster.lab.inventory();                     // kplay inventory: host h1 = node h1
 *
 * Names: node names ARE the lab host names (h1, h2, ...): the lab's inventory name, the node's hostname, the
 * kubelet's --hostname-override and the Node object's name are all the same string.
 *
 * Layout on the machine (removed by close()):
 *   CLUSTER_DIR/cluster/                      the cluster state shared by all nodes (cluster.json), bound at
 *                                             /var/lib/kplay-standin inside every node, so kubectl's atomic
 *                                             rename works and every node sees the same file
 *   CLUSTER_DIR/<node>/ = NODE_DIR            enter-node.sh's NODE_DIR:
 *     fs/etc/kubernetes, fs/var/lib/kubelet, fs/var/lib/kube-proxy, fs/etc/systemd/system, fs/usr/local/bin
 *     fs/var/lib/kplay-standin -> CLUSTER_DIR/cluster   (symlink, resolved by the bind mount)
 *     fs/var/lib/kplay-standin-node/{journal,systemd}   node-private state of the stand-in systemctl, bound
 *                                             over /var/lib/kplay-standin/{journal,systemd}
 *     fs/etc/hosts                            the machine's /etc/hosts plus "ADDRESS NAME" of every node
 *
 * Deviations from kubeadm: every bind/advertise address is the node's loopback address (127.0.0.2, ...) so
 * several nodes share the machine's network; no etcd (manifest, PKI files are placeholders); kubeconfigs of
 * node N point at node N's own apiserver; the kube-proxy ConfigMap (one per cluster, as with kubeadm) names
 * the FIRST node's address for the apiserver and for healthzBindAddress/metricsBindAddress, so in a cluster of
 * several nodes only the first node's kube-proxy can bind its healthz port (the others fail to listen):
 * healthUrl('kube-proxy') is the first node's URL on every node, and startStandinCluster() waits for
 * kube-proxy on the first node only.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { alive, ownerAlive, ownerLine, procStat } from './processes.js';
import { sshLabUnavailable, startSshLab } from './sshd-lab.js';
import type { SshLab } from './sshd-lab.js';

export type Component = 'kube-apiserver' | 'kube-scheduler' | 'kube-controller-manager' | 'kube-proxy' | 'kubelet';

export const COMPONENTS: readonly Component[] = [
  'kube-apiserver',
  'kube-scheduler',
  'kube-controller-manager',
  'kube-proxy',
  'kubelet',
];

export interface StandinNode {
  /** "h1", "h2", ...: also the lab host's (inventory) name, the node's hostname and its Node object's name. */
  readonly name: string;
  /** "127.0.0.2", ... */
  readonly address: string;
  /** NODE_DIR on the machine (see the layout above). */
  readonly dir: string;
  /** `sh -c script` inside the node's namespaces (nsenter -t <PID 1 of the node> -m -p -u), as root. */
  exec(script: string): Promise<{ stdout: string; stderr: string; code: number }>;
  /** One GET of the component's health URL from the machine (2 s timeout): true on HTTP 200. */
  healthy(c: Component): Promise<boolean>;
  /** Polls healthy(c) until true; throws after timeoutMs (default 30 s). */
  waitHealthy(c: Component, timeoutMs?: number): Promise<void>;
  /** Pids (as seen inside the node) of processes whose argv[0] basename is the component; dlv itself is not one. */
  pids(c: Component): Promise<number[]>;
  /** /proc/PID/cmdline inside the node, split at NULs; [] when there is no such process. */
  cmdline(pid: number): Promise<string[]>;
  healthUrl(c: Component): string;
  /** /etc/kubernetes/manifests/<c>.yaml as seen inside the node (kube-proxy and kubelet have none; still the path). */
  manifestPath(c: Component): string;
  /** Where a node path lives on the machine, for byte comparisons; paths not bound into the node map to themselves. */
  hostPath(p: string): string;
}

export interface StandinCluster {
  lab: SshLab;
  nodes: StandinNode[];
  /** standin/kubernetes (the stand-in Kubernetes source tree the components were built from). */
  treeDir: string;
  /**
   * The cluster as a controller (the machine kplay runs on) reaches it: -e vars naming the stand-in
   * kubectl and the node's admin.conf, and the environment that points that kubectl at cluster.json.
   */
  controller(node: StandinNode): { vars: string[]; env: Record<string, string> };
  /** Ends the lab (and so every node process) and removes the NODE_DIRs. Idempotent. */
  close(): Promise<void>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '../..');
const TREE_DIR = path.join(REPO_ROOT, 'standin/kubernetes');
const NODE_SCRIPTS = path.join(REPO_ROOT, 'standin/node');
const ENTER_NODE = path.join(NODE_SCRIPTS, 'enter-node.sh');
const CLUSTER_PREFIX = 'kplay-standin-';
const NODE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const K8S_VERSION = 'v1.28.0';
const HEALTH_PORTS: Record<Component, number> = {
  'kube-apiserver': 6443,
  'kube-scheduler': 10259,
  'kube-controller-manager': 10257,
  'kube-proxy': 10256,
  kubelet: 10248,
};
/** Node paths bound from NODE_DIR/fs/<same path>, longest first; see enter-node.sh. */
const BOUND = [
  '/etc/hosts',
  '/var/lib/kplay-standin/journal',
  '/var/lib/kplay-standin/systemd',
  '/var/lib/kplay-standin',
  '/etc/kubernetes',
  '/var/lib/kubelet',
  '/var/lib/kube-proxy',
  '/etc/systemd/system',
  '/usr/local/bin',
];

function which(bin: string): boolean {
  return NODE_PATH.split(':').some((d) => existsSync(path.join(d, bin)));
}

/** Why a stand-in cluster cannot start here, or undefined when it can (for `describe(..., { skip })`). */
export function standinUnavailable(): string | undefined {
  const lab = sshLabUnavailable();
  if (lab) return lab;
  for (const bin of ['go', 'make', 'unshare', 'nsenter', 'openssl', 'ssh', 'mount', 'hostname']) {
    if (!which(bin)) return `the stand-in cluster needs ${bin}`;
  }
  if (!existsSync(path.join(TREE_DIR, 'Makefile'))) return `the stand-in Kubernetes tree ${TREE_DIR} has no Makefile yet`;
  return undefined;
}

// ---- build ----

let built: Promise<string> | undefined;

/** Builds the five stand-in components once per process (release-style) and returns their folder. */
export function buildComponents(): Promise<string> {
  built ??= (async () => {
    mkdirSync('/run/lock', { recursive: true });
    const what = COMPONENTS.map((c) => `cmd/${c}`).join(' ');
    // flock: test files run in parallel processes and share the tree's _output.
    await run('flock', ['/run/lock/kplay-standin-build.lock', 'make', '-C', TREE_DIR, `WHAT=${what}`], {
      timeoutMs: 300_000,
    });
    const bin = path.join(TREE_DIR, '_output/bin');
    for (const c of COMPONENTS) {
      if (!existsSync(path.join(bin, c))) throw new Error(`make did not produce ${path.join(bin, c)}`);
    }
    return bin;
  })();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

// ---- processes ----

interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: o.env ?? process.env, encoding: 'utf8', timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

function runCollect(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: stderr + err.message, code: 127 });
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? (sig ? 128 : 1) });
    });
  });
}

function pidNs(pid: number | string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** Machine pids of every process in the PID namespace `ns`, with their pid inside it. */
function processesIn(ns: string): { outer: number; inner: number }[] {
  const out: { outer: number; inner: number }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || pidNs(e) !== ns) continue;
    try {
      const m = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'));
      const ids = m ? m[1]!.trim().split(/\s+/).map(Number) : [];
      if (ids.length) out.push({ outer: Number(e), inner: ids[ids.length - 1]! });
    } catch {
      // gone
    }
  }
  return out;
}

function readCmdline(pid: number): string[] {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw ? raw.replace(/\0$/, '').split('\0') : [];
  } catch {
    return [];
  }
}

function httpGetOk(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.get(url, { rejectUnauthorized: false, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}

// ---- generated node files ----

interface Pki {
  caCrt: string;
  caKey: string;
}

async function makeCa(dir: string): Promise<Pki> {
  const caKey = path.join(dir, 'ca.key');
  const caCrt = path.join(dir, 'ca.crt');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caCrt,
    '-days', '3650', '-subj', '/CN=kubernetes',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
  ]);
  return { caCrt, caKey };
}

/** /etc/kubernetes/pki as kubeadm lays it out: real CA and apiserver serving pair, placeholder copies for the rest. */
async function writePki(pkiDir: string, ca: Pki, name: string, address: string): Promise<void> {
  mkdirSync(path.join(pkiDir, 'etcd'), { recursive: true });
  copyFileSync(ca.caCrt, path.join(pkiDir, 'ca.crt'));
  copyFileSync(ca.caKey, path.join(pkiDir, 'ca.key'));
  const key = path.join(pkiDir, 'apiserver.key');
  const crt = path.join(pkiDir, 'apiserver.crt');
  const sans = [
    'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
    `DNS:${name}`, 'IP:10.96.0.1', `IP:${address}`,
  ].join(',');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '365',
    '-subj', '/CN=kube-apiserver', '-CA', ca.caCrt, '-CAkey', ca.caKey,
    '-addext', `subjectAltName=${sans}`, '-addext', 'extendedKeyUsage=serverAuth', '-addext', 'basicConstraints=critical,CA:FALSE',
  ]);
  // Placeholders: the stand-ins only need these files to exist (no etcd, no front proxy, no token signing).
  for (const f of ['front-proxy-ca', 'etcd/ca']) {
    copyFileSync(ca.caCrt, path.join(pkiDir, `${f}.crt`));
    copyFileSync(ca.caKey, path.join(pkiDir, `${f}.key`));
  }
  for (const f of [
    'apiserver-kubelet-client', 'apiserver-etcd-client', 'front-proxy-client',
    'etcd/server', 'etcd/peer', 'etcd/healthcheck-client',
  ]) {
    copyFileSync(crt, path.join(pkiDir, `${f}.crt`));
    copyFileSync(key, path.join(pkiDir, `${f}.key`));
  }
  copyFileSync(key, path.join(pkiDir, 'sa.key'));
  await run('openssl', ['pkey', '-in', key, '-pubout', '-out', path.join(pkiDir, 'sa.pub')]);
  for (const f of readdirSyncDeep(pkiDir)) chmodSync(f, f.endsWith('.key') ? 0o600 : 0o644);
}

function readdirSyncDeep(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? readdirSyncDeep(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

function b64(file: string): string {
  return readFileSync(file).toString('base64');
}

function kubeconfig(o: { server: string; user: string; ca: string; cert?: string; key?: string; certFile?: string }): string {
  const user = o.certFile
    ? `    client-certificate: ${o.certFile}\n    client-key: ${o.certFile}\n`
    : `    client-certificate-data: ${b64(o.cert!)}\n    client-key-data: ${b64(o.key!)}\n`;
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64(o.ca)}
    server: ${o.server}
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: ${o.user}
  name: ${o.user}@kubernetes
current-context: ${o.user}@kubernetes
kind: Config
preferences: {}
users:
- name: ${o.user}
  user:
${user}`;
}

/** YAML the way kubeadm writes manifests: keys sorted, sequences not indented under their key. */
function kubeadmYaml(doc: unknown): string {
  return stringify(doc, { indentSeq: false, sortMapEntries: true, lineWidth: 0 });
}

function hostPathVolume(name: string, p: string, type: string) {
  return { hostPath: { path: p, type }, name };
}

function probe(host: string, p: string, port: number, failureThreshold: number, initialDelaySeconds?: number) {
  return {
    failureThreshold,
    httpGet: { host, path: p, port, scheme: 'HTTPS' },
    ...(initialDelaySeconds !== undefined ? { initialDelaySeconds } : {}),
    periodSeconds: 10,
    timeoutSeconds: 15,
  };
}

const CERT_VOLUMES = [
  { m: { mountPath: '/etc/ssl/certs', name: 'ca-certs', readOnly: true }, v: hostPathVolume('ca-certs', '/etc/ssl/certs', 'DirectoryOrCreate') },
  { m: { mountPath: '/etc/ca-certificates', name: 'etc-ca-certificates', readOnly: true }, v: hostPathVolume('etc-ca-certificates', '/etc/ca-certificates', 'DirectoryOrCreate') },
  { m: { mountPath: '/etc/kubernetes/pki', name: 'k8s-certs', readOnly: true }, v: hostPathVolume('k8s-certs', '/etc/kubernetes/pki', 'DirectoryOrCreate') },
  { m: { mountPath: '/usr/local/share/ca-certificates', name: 'usr-local-share-ca-certificates', readOnly: true }, v: hostPathVolume('usr-local-share-ca-certificates', '/usr/local/share/ca-certificates', 'DirectoryOrCreate') },
  { m: { mountPath: '/usr/share/ca-certificates', name: 'usr-share-ca-certificates', readOnly: true }, v: hostPathVolume('usr-share-ca-certificates', '/usr/share/ca-certificates', 'DirectoryOrCreate') },
];

function staticPod(o: {
  component: Component;
  command: string[];
  host: string;
  port: number;
  probePath: string;
  cpu: string;
  mounts: { m: Record<string, unknown>; v: Record<string, unknown> }[];
  readiness?: boolean;
  annotations?: Record<string, string>;
}): string {
  const container: Record<string, unknown> = {
    command: o.command,
    image: `registry.k8s.io/${o.component}:${K8S_VERSION}`,
    imagePullPolicy: 'IfNotPresent',
    livenessProbe: probe(o.host, o.probePath, o.port, 8, 10),
    name: o.component,
    resources: { requests: { cpu: o.cpu } },
    startupProbe: probe(o.host, o.probePath, o.port, 24, 10),
    volumeMounts: o.mounts.map((x) => x.m),
  };
  if (o.readiness) container.readinessProbe = { ...probe(o.host, '/readyz', o.port, 3), periodSeconds: 1 };
  const doc = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(o.annotations ? { annotations: o.annotations } : {}),
      creationTimestamp: null,
      labels: { component: o.component, tier: 'control-plane' },
      name: o.component,
      namespace: 'kube-system',
    },
    spec: {
      containers: [container],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: o.mounts.map((x) => x.v),
    },
    status: {},
  };
  return kubeadmYaml(doc);
}

function manifests(address: string): Record<string, string> {
  const apiserver = staticPod({
    component: 'kube-apiserver',
    host: address,
    port: 6443,
    probePath: '/livez',
    cpu: '250m',
    readiness: true,
    annotations: { 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${address}:6443` },
    mounts: CERT_VOLUMES,
    command: [
      'kube-apiserver',
      `--advertise-address=${address}`,
      '--allow-privileged=true',
      '--authorization-mode=Node,RBAC',
      // Deviation: kubeadm leaves --bind-address out (0.0.0.0); nodes share the machine's network here.
      `--bind-address=${address}`,
      '--client-ca-file=/etc/kubernetes/pki/ca.crt',
      '--enable-admission-plugins=NodeRestriction',
      '--enable-bootstrap-token-auth=true',
      '--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt',
      '--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt',
      '--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key',
      '--etcd-servers=https://127.0.0.1:2379',
      '--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt',
      '--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key',
      '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
      '--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt',
      '--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key',
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-username-headers=X-Remote-User',
      '--secure-port=6443',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-account-key-file=/etc/kubernetes/pki/sa.pub',
      '--service-account-signing-key-file=/etc/kubernetes/pki/sa.key',
      '--service-cluster-ip-range=10.96.0.0/12',
      '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
      '--tls-private-key-file=/etc/kubernetes/pki/apiserver.key',
    ],
  });
  const scheduler = staticPod({
    component: 'kube-scheduler',
    host: address,
    port: 10259,
    probePath: '/healthz',
    cpu: '100m',
    mounts: [
      {
        m: { mountPath: '/etc/kubernetes/scheduler.conf', name: 'kubeconfig', readOnly: true },
        v: hostPathVolume('kubeconfig', '/etc/kubernetes/scheduler.conf', 'FileOrCreate'),
      },
    ],
    command: [
      'kube-scheduler',
      '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
      `--bind-address=${address}`,
      '--kubeconfig=/etc/kubernetes/scheduler.conf',
      '--leader-elect=true',
    ],
  });
  const cmMounts = [
    ...CERT_VOLUMES.slice(0, 2),
    {
      m: { mountPath: '/usr/libexec/kubernetes/kubelet-plugins/volume/exec', name: 'flexvolume-dir' },
      v: hostPathVolume('flexvolume-dir', '/usr/libexec/kubernetes/kubelet-plugins/volume/exec', 'DirectoryOrCreate'),
    },
    CERT_VOLUMES[2]!,
    {
      m: { mountPath: '/etc/kubernetes/controller-manager.conf', name: 'kubeconfig', readOnly: true },
      v: hostPathVolume('kubeconfig', '/etc/kubernetes/controller-manager.conf', 'FileOrCreate'),
    },
    ...CERT_VOLUMES.slice(3),
  ];
  const controllerManager = staticPod({
    component: 'kube-controller-manager',
    host: address,
    port: 10257,
    probePath: '/healthz',
    cpu: '200m',
    mounts: cmMounts,
    command: [
      'kube-controller-manager',
      '--allocate-node-cidrs=true',
      '--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf',
      `--bind-address=${address}`,
      '--client-ca-file=/etc/kubernetes/pki/ca.crt',
      '--cluster-cidr=10.244.0.0/16',
      '--cluster-name=kubernetes',
      '--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt',
      '--cluster-signing-key-file=/etc/kubernetes/pki/ca.key',
      '--controllers=*,bootstrapsigner,tokencleaner',
      '--kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--leader-elect=true',
      '--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt',
      '--root-ca-file=/etc/kubernetes/pki/ca.crt',
      '--service-account-private-key-file=/etc/kubernetes/pki/sa.key',
      '--service-cluster-ip-range=10.96.0.0/12',
      '--use-service-account-credentials=true',
    ],
  });
  return {
    'kube-apiserver.yaml': apiserver,
    'kube-scheduler.yaml': scheduler,
    'kube-controller-manager.yaml': controllerManager,
  };
}

/** The kubelet unit and kubeadm's drop-in as the Kubernetes packages install them (real-control-plane.ts too). */
export const KUBELET_SERVICE = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/local/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`;

export const KUBEADM_DROPIN = `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`;

function kubeletConfig(address: string): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: ${address}
healthzPort: 10248
httpCheckFrequency: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
`;
}

function kubeProxyConfig(address: string): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: 10.244.0.0/16
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ${address}:10256
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ${address}:10249
mode: iptables
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
showHiddenMetricsForProbes: false
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: ""
`;
}

function kubeProxyKubeconfig(address: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: https://${address}:6443
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
`;
}

function uid(): string {
  return randomUUID();
}

function clusterState(nodes: { name: string; address: string }[], created: string, caPem: string): unknown {
  let rv = 100;
  const nodeObjs: Record<string, unknown> = {};
  for (const [i, n] of nodes.entries()) {
    nodeObjs[n.name] = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        annotations: {
          'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
          'node.alpha.kubernetes.io/ttl': '0',
          'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        },
        creationTimestamp: created,
        labels: {
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': n.name,
          'kubernetes.io/os': 'linux',
          'node-role.kubernetes.io/control-plane': '',
          'node.kubernetes.io/exclude-from-external-load-balancers': '',
        },
        name: n.name,
        resourceVersion: String(++rv),
        uid: uid(),
      },
      spec: {
        podCIDR: `10.244.${i}.0/24`,
        podCIDRs: [`10.244.${i}.0/24`],
        taints: [{ effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' }],
      },
      status: {
        addresses: [
          { address: n.address, type: 'InternalIP' },
          { address: n.name, type: 'Hostname' },
        ],
        conditions: [
          {
            lastHeartbeatTime: created,
            lastTransitionTime: created,
            message: 'kubelet is posting ready status',
            reason: 'KubeletReady',
            status: 'True',
            type: 'Ready',
          },
        ],
        nodeInfo: {
          architecture: 'amd64',
          containerRuntimeVersion: 'containerd://1.7.2',
          kernelVersion: '',
          kubeProxyVersion: K8S_VERSION,
          kubeletVersion: K8S_VERSION,
          operatingSystem: 'linux',
          osImage: 'kplay stand-in node',
        },
      },
    };
  }
  const first = nodes[0]!.address;
  const count = nodes.length;
  const daemonset = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      annotations: { 'deprecated.daemonset.template.generation': '1' },
      creationTimestamp: created,
      generation: 1,
      labels: { 'k8s-app': 'kube-proxy' },
      name: 'kube-proxy',
      namespace: 'kube-system',
      resourceVersion: String(++rv),
      uid: uid(),
    },
    spec: {
      revisionHistoryLimit: 10,
      selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
      template: {
        metadata: { creationTimestamp: null, labels: { 'k8s-app': 'kube-proxy' } },
        spec: {
          containers: [
            {
              command: [
                '/usr/local/bin/kube-proxy',
                '--config=/var/lib/kube-proxy/config.conf',
                '--hostname-override=$(NODE_NAME)',
              ],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
              image: `registry.k8s.io/kube-proxy:${K8S_VERSION}`,
              imagePullPolicy: 'IfNotPresent',
              name: 'kube-proxy',
              resources: {},
              securityContext: { privileged: true },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              volumeMounts: [
                { mountPath: '/var/lib/kube-proxy', name: 'kube-proxy' },
                { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
                { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
              ],
            },
          ],
          dnsPolicy: 'ClusterFirst',
          hostNetwork: true,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          priorityClassName: 'system-node-critical',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: {},
          serviceAccount: 'kube-proxy',
          serviceAccountName: 'kube-proxy',
          terminationGracePeriodSeconds: 30,
          tolerations: [{ operator: 'Exists' }],
          volumes: [
            { configMap: { defaultMode: 420, name: 'kube-proxy' }, name: 'kube-proxy' },
            { hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' }, name: 'xtables-lock' },
            { hostPath: { path: '/lib/modules', type: '' }, name: 'lib-modules' },
          ],
        },
      },
      updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' },
    },
    status: {
      currentNumberScheduled: count,
      desiredNumberScheduled: count,
      numberAvailable: count,
      numberMisscheduled: 0,
      numberReady: count,
      observedGeneration: 1,
      updatedNumberScheduled: count,
    },
  };
  const configmap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    data: { 'config.conf': kubeProxyConfig(first), 'kubeconfig.conf': kubeProxyKubeconfig(first) },
    metadata: {
      annotations: { 'kubeadm.kubernetes.io/component-config.hash': 'sha256:0000000000000000000000000000000000000000000000000000000000000000' },
      creationTimestamp: created,
      labels: { app: 'kube-proxy' },
      name: 'kube-proxy',
      namespace: 'kube-system',
      resourceVersion: String(++rv),
      uid: uid(),
    },
  };
  // What the controller-manager publishes in every namespace (1.20 and later): the CA a pod trusts.
  const rootCa = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    data: { 'ca.crt': caPem },
    metadata: { creationTimestamp: created, name: 'kube-root-ca.crt', namespace: 'kube-system', resourceVersion: String(++rv), uid: uid() },
  };
  return {
    nodes: nodeObjs,
    daemonsets: { 'kube-system/kube-proxy': daemonset },
    configmaps: { 'kube-system/kube-proxy': configmap, 'kube-system/kube-root-ca.crt': rootCa },
  };
}

function write(file: string, content: string, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
}

/** Writes one node's files, as `kubeadm init` would leave them, into NODE_DIR/fs. */
async function prepareNode(o: {
  nodeDir: string;
  clusterStateDir: string;
  name: string;
  address: string;
  ca: Pki;
  binDir: string;
  allNodes: { name: string; address: string }[];
}): Promise<void> {
  const fs = (p: string) => path.join(o.nodeDir, 'fs', p);
  for (const d of ['etc/kubernetes/manifests', 'var/lib/kubelet/pki', 'var/lib/kube-proxy', 'etc/systemd/system/kubelet.service.d', 'usr/local/bin', 'var/lib/kplay-standin-node/journal', 'var/lib/kplay-standin-node/systemd']) {
    mkdirSync(fs(d), { recursive: true, mode: 0o755 });
  }
  for (const d of readdirSyncDirs(path.join(o.nodeDir, 'fs'))) chmodSync(d, 0o755);
  chmodSync(o.nodeDir, 0o755);
  symlinkSync(o.clusterStateDir, fs('var/lib/kplay-standin'));
  // The machine's /etc/hosts plus every node's name, bound over /etc/hosts inside the node.
  let hosts = '';
  try {
    hosts = readFileSync('/etc/hosts', 'utf8');
  } catch {
    hosts = '127.0.0.1\tlocalhost\n';
  }
  if (hosts && !hosts.endsWith('\n')) hosts += '\n';
  write(fs('etc/hosts'), `${hosts}# kplay stand-in cluster nodes\n${o.allNodes.map((n) => `${n.address}\t${n.name}\n`).join('')}`);

  const pki = fs('etc/kubernetes/pki');
  await writePki(pki, o.ca, o.name, o.address);
  const server = `https://${o.address}:6443`;
  const ca = path.join(pki, 'ca.crt');
  const cert = path.join(pki, 'apiserver.crt');
  const key = path.join(pki, 'apiserver.key');
  write(fs('etc/kubernetes/admin.conf'), kubeconfig({ server, user: 'kubernetes-admin', ca, cert, key }), 0o600);
  write(fs('etc/kubernetes/scheduler.conf'), kubeconfig({ server, user: 'system:kube-scheduler', ca, cert, key }), 0o600);
  write(fs('etc/kubernetes/controller-manager.conf'), kubeconfig({ server, user: 'system:kube-controller-manager', ca, cert, key }), 0o600);
  write(
    fs('etc/kubernetes/kubelet.conf'),
    kubeconfig({ server, user: `system:node:${o.name}`, ca, certFile: '/var/lib/kubelet/pki/kubelet-client-current.pem' }),
    0o600,
  );
  write(fs('var/lib/kubelet/pki/kubelet-client-current.pem'), readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'), 0o600);
  copyFileSync(cert, fs('var/lib/kubelet/pki/kubelet.crt'));
  copyFileSync(key, fs('var/lib/kubelet/pki/kubelet.key'));
  for (const [file, text] of Object.entries(manifests(o.address))) write(fs(`etc/kubernetes/manifests/${file}`), text, 0o600);

  write(fs('etc/systemd/system/kubelet.service'), KUBELET_SERVICE);
  write(fs('etc/systemd/system/kubelet.service.d/10-kubeadm.conf'), KUBEADM_DROPIN);
  write(
    fs('var/lib/kubelet/kubeadm-flags.env'),
    `KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9 --hostname-override=${o.name} --node-ip=${o.address}"\n`,
  );
  write(fs('var/lib/kubelet/config.yaml'), kubeletConfig(o.address));

  // Copies, not symlinks: the node's /usr/local/bin is this folder, bind-mounted.
  for (const c of COMPONENTS) copyFileSync(path.join(o.binDir, c), fs(`usr/local/bin/${c}`));
  for (const s of ['kubectl', 'systemctl']) copyFileSync(path.join(NODE_SCRIPTS, 'bin', s), fs(`usr/local/bin/${s}`));
  for (const f of readdirSync(fs('usr/local/bin'))) chmodSync(fs(`usr/local/bin/${f}`), 0o755);
}

function readdirSyncDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => [path.join(dir, e.name), ...readdirSyncDirs(path.join(dir, e.name))]);
}

// ---- nodes ----

class Node implements StandinNode {
  private ns: string | undefined;

  constructor(
    readonly name: string,
    readonly address: string,
    readonly dir: string,
    private readonly cluster: Cluster,
  ) {}

  /** The machine pid of the node's PID 1 (its sshd). */
  private pid1(): number {
    const pid = this.cluster.lab.host(this.name).sshdPid();
    if (pid === undefined) throw new Error(`stand-in node ${this.name} is not running (its sshd is stopped)`);
    return pid;
  }

  /** The node's PID namespace (recorded for close(), which checks that nothing of the node is left). */
  pidNamespace(): string | undefined {
    try {
      this.ns = pidNs(this.pid1()) ?? this.ns;
    } catch {
      // stopped: keep the last known one
    }
    return this.ns;
  }

  exec(script: string): Promise<RunResult> {
    return runCollect(
      'nsenter',
      ['-t', String(this.pid1()), '-m', '-p', '-u', '--', '/bin/sh', '-c', script],
      { PATH: NODE_PATH, HOME: '/root', LANG: 'C.UTF-8', USER: 'root', LOGNAME: 'root' },
      120_000,
    );
  }

  healthUrl(c: Component): string {
    const scheme = c === 'kube-proxy' || c === 'kubelet' ? 'http' : 'https';
    const p = c === 'kube-apiserver' ? '/livez' : '/healthz';
    // The kube-proxy ConfigMap is cluster-wide: its healthz address is the first node's (see the header).
    const address = c === 'kube-proxy' ? this.cluster.nodes[0]!.address : this.address;
    return `${scheme}://${address}:${HEALTH_PORTS[c]}${p}`;
  }

  healthy(c: Component): Promise<boolean> {
    return httpGetOk(this.healthUrl(c), 2000);
  }

  async waitHealthy(c: Component, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.healthy(c)) return;
      if (Date.now() > deadline) {
        throw new Error(`${c} on stand-in node ${this.name} not healthy at ${this.healthUrl(c)} within ${timeoutMs} ms\n${this.diagnostics()}`);
      }
      await sleep(200);
    }
  }

  /** The tail of the kubelet's journal, for error messages. */
  diagnostics(): string {
    try {
      const log = readFileSync(this.hostPath('/var/lib/kplay-standin/journal/kubelet.log'), 'utf8');
      return `kubelet journal (tail):\n${log.trimEnd().split('\n').slice(-25).join('\n')}`;
    } catch {
      return '(no kubelet journal)';
    }
  }

  private processes(): { outer: number; inner: number }[] {
    const ns = this.pidNamespace();
    return ns ? processesIn(ns) : [];
  }

  async pids(c: Component): Promise<number[]> {
    return this.processes()
      .filter((p) => {
        const argv0 = readCmdline(p.outer)[0];
        return argv0 !== undefined && path.basename(argv0) === c;
      })
      .map((p) => p.inner)
      .sort((a, b) => a - b);
  }

  async cmdline(pid: number): Promise<string[]> {
    const p = this.processes().find((x) => x.inner === pid);
    return p ? readCmdline(p.outer) : [];
  }

  manifestPath(c: Component): string {
    return `/etc/kubernetes/manifests/${c}.yaml`;
  }

  hostPath(p: string): string {
    const norm = path.posix.normalize(p);
    if (norm === '/run/secrets' || norm.startsWith('/run/secrets/') || norm.startsWith('/var/run/secrets')) {
      throw new Error(`${p} is on the node-private tmpfs /run/secrets; read it with exec()`);
    }
    for (const b of BOUND) {
      if (norm !== b && !norm.startsWith(`${b}/`)) continue;
      const rest = norm.slice(b.length);
      if (b === '/var/lib/kplay-standin/journal' || b === '/var/lib/kplay-standin/systemd') {
        return path.join(this.dir, 'fs/var/lib/kplay-standin-node', path.basename(b)) + rest;
      }
      if (b === '/var/lib/kplay-standin') return path.join(this.cluster.stateDir, rest);
      return path.join(this.dir, 'fs', b) + rest;
    }
    return norm;
  }
}

// ---- the cluster ----

class Cluster implements StandinCluster {
  lab!: SshLab;
  nodes: Node[] = [];
  readonly treeDir = TREE_DIR;
  readonly stateDir: string;
  private closed = false;

  constructor(readonly dir: string) {
    this.stateDir = path.join(dir, 'cluster');
  }

  controller(node: StandinNode): { vars: string[]; env: Record<string, string> } {
    return {
      vars: [`kubectl=${path.join(NODE_SCRIPTS, 'bin/kubectl')}`, `kubeconfig=${node.hostPath('/etc/kubernetes/admin.conf')}`],
      env: { KPLAY_STANDIN_STATE: path.join(this.stateDir, 'cluster.json') },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const namespaces = this.nodes.map((n) => n.pidNamespace()).filter((x): x is string => !!x);
    await this.lab?.close();
    // PID 1 of each node is gone, so the kernel has killed the rest of its namespace; make sure.
    const deadline = Date.now() + 5000;
    for (;;) {
      const left = namespaces.flatMap((ns) => processesIn(ns)).map((p) => p.outer).filter(alive);
      if (left.length === 0) break;
      if (Date.now() > deadline) {
        for (const p of left) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // gone
          }
        }
        break;
      }
      await sleep(20);
    }
    this.destroySync();
  }

  destroySync(): void {
    this.closed = true;
    rmSync(this.dir, { recursive: true, force: true });
    if (live.delete(this)) releaseClusterLock();
  }
}

const live = new Set<Cluster>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  // The lab's own hooks kill the nodes (their wrappers); this one only removes the folders.
  process.on('exit', () => {
    for (const c of [...live]) c.destroySync();
  });
}

const CLUSTER_LOCK = '/run/lock/kplay-standin-cluster';
/** Clusters of this process that hold the machine-wide lock (a process may nest them). */
let lockDepth = 0;

/**
 * Waits until no other process runs a stand-in cluster (test files run in parallel processes),
 * then takes the lock: a folder made atomically, naming its owner; a dead owner's lock is taken over.
 */
async function takeClusterLock(): Promise<void> {
  if (lockDepth++ > 0) return;
  mkdirSync(path.dirname(CLUSTER_LOCK), { recursive: true });
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(CLUSTER_LOCK);
      writeFileSync(path.join(CLUSTER_LOCK, 'owner'), ownerLine());
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // An unreadable owner file is being written by the process that just made the lock.
    const owned = ownerAlive(path.join(CLUSTER_LOCK, 'owner'));
    const stale = owned === undefined ? Date.now() - (statSync(CLUSTER_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 5000 : !owned;
    if (stale) {
      rmSync(CLUSTER_LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      lockDepth--;
      throw new Error(`another stand-in cluster has held ${CLUSTER_LOCK} for 20 minutes (its owner: ${readFileSync(path.join(CLUSTER_LOCK, 'owner'), 'utf8').trim()})`);
    }
    await sleep(250);
  }
}

function releaseClusterLock(): void {
  if (lockDepth === 0 || --lockDepth > 0) return;
  rmSync(CLUSTER_LOCK, { recursive: true, force: true });
}

/** Removes cluster folders whose test process died without close(); the lab reaps their processes. */
function reapOrphanClusters(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(CLUSTER_PREFIX)) continue;
    const dir = path.join(tmpdir(), entry);
    if (ownerAlive(path.join(dir, 'owner')) !== false) continue;
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Builds the stand-in components (once per process), prepares `nodes` (default 1) kubeadm-like node folders,
 * starts the SSH lab with enter-node.sh around every sshd and waits until all five components are healthy.
 */
export async function startStandinCluster(opts: { nodes?: number } = {}): Promise<StandinCluster> {
  const count = opts.nodes ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 50) throw new Error(`startStandinCluster: nodes must be 1 to 50, got ${count}`);
  const unavailable = standinUnavailable();
  if (unavailable) throw new Error(unavailable);
  reapOrphanClusters();
  // Nodes bind their components' fixed ports on 127.0.0.2, ...: one cluster at a time on a machine.
  await takeClusterLock();
  const binDir = await buildComponents().catch((e: unknown) => {
    releaseClusterLock();
    throw e;
  });

  const dir = mkdtempSync(path.join(tmpdir(), CLUSTER_PREFIX));
  const cluster = new Cluster(dir);
  live.add(cluster);
  installExitHook();
  try {
    chmodSync(dir, 0o755);
    writeFileSync(path.join(dir, 'owner'), ownerLine());
    mkdirSync(cluster.stateDir, { mode: 0o755 });
    chmodSync(cluster.stateDir, 0o755);
    // The lab names its hosts h1, h2, ... on 127.0.0.2, 127.0.0.3, ...: the nodes take the same names.
    const specs = Array.from({ length: count }, (_, i) => ({ name: `h${i + 1}`, address: `127.0.0.${i + 2}` }));
    const caDir = path.join(dir, 'ca');
    mkdirSync(caDir, { mode: 0o700 });
    const ca = await makeCa(caDir);
    writeFileSync(
      path.join(cluster.stateDir, 'cluster.json'),
      JSON.stringify(clusterState(specs, new Date().toISOString().replace(/\.\d+Z$/, 'Z'), readFileSync(ca.caCrt, 'utf8')), null, 2) + '\n',
      { mode: 0o644 },
    );
    await Promise.all(
      specs.map((s) =>
        prepareNode({ nodeDir: path.join(dir, s.name), clusterStateDir: cluster.stateDir, name: s.name, address: s.address, ca, binDir, allNodes: specs }),
      ),
    );
    cluster.lab = await startSshLab({
      hosts: count,
      wrap: (h) => [ENTER_NODE, path.join(dir, h.name), h.name, '--'],
    });
    for (const [i, s] of specs.entries()) {
      const h = cluster.lab.hosts[i]!;
      if (h.name !== s.name || h.address !== s.address) {
        throw new Error(`the lab named host ${i + 1} ${h.name} on ${h.address}, expected ${s.name} on ${s.address}`);
      }
      cluster.nodes.push(new Node(s.name, s.address, path.join(dir, s.name), cluster));
    }
    for (const n of cluster.nodes) n.pidNamespace();
    await Promise.all(
      cluster.nodes.flatMap((n, i) =>
        COMPONENTS.filter((c) => c !== 'kube-proxy' || i === 0).map((c) => n.waitHealthy(c, 60_000)),
      ),
    );
    return cluster;
  } catch (err) {
    await cluster.close();
    throw err;
  }
}
