/**
 * The REAL Kubernetes 1.20.2 tree for end-to-end tests: Debian's `kubernetes` source package (fetched by
 * scripts/install-test-deps.sh), unpacked once, github.com/modern-go/reflect2 swapped for Debian's 1.0.2, and
 * the control-plane components built on demand in the tree's own release style (stripped). Everything is
 * cached outside the checkout, under KPLAY_TEST_CACHE (default /var/cache/kplay-test), so only a fresh
 * machine pays for the builds; test/support/k8s-tree.sh does the work and documents the layout.
 *
 *   const skip = k8sTreeUnavailable();                      // a reason to skip, or undefined
 *   const tree = await k8sTree();                           // tree.dir: source_dir for the debug playbooks
 *   const bins = await releaseBinaries();                   // bins['kube-apiserver']: the cached release build
 *   startDebugRun({ ..., treeDir: tree.dir, lockFile: tree.lockFile })   // a run whose build runs make in tree.dir
 *
 * The tree is ONE shared folder, not a copy per test (the vendor folder alone is 34 MB packed): a debug build
 * made by a playbook (build-debug.sh, pointed at tree.dir by source_dir) writes tree.dir/_output, which is
 * why release binaries are copied out of _output into the cache. Two makes in the same tree at once would
 * trample each other's _output, so every make there holds tree.lockFile (flock): the release builds take it
 * themselves, and a test that runs a playbook building in the tree holds it for the run (debug-session.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The components the fixture builds; etcd is Debian's own (ETCD_BINARY). */
export const K8S_COMPONENTS = ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kubeadm', 'kubectl', 'kube-proxy'] as const;
export type K8sComponent = (typeof K8S_COMPONENTS)[number];

/** Debian's etcd 3.4.23 (package etcd-server), the version Kubernetes 1.20 was released with. */
export const ETCD_BINARY = '/usr/bin/etcd';

const SCRIPT = fileURLToPath(new URL('./k8s-tree.sh', import.meta.url));
const REFLECT2 = '/usr/share/gocode/src/github.com/modern-go/reflect2';

export interface K8sTree {
  /** The orig tarball's version, e.g. 1.20.5+really1.20.2 (Debian's name for the v1.20.2 tree). */
  readonly version: string;
  /** The unpacked tree: point a playbook's source_dir here. Shared by every test: do not modify it. */
  readonly dir: string;
  /** The flock every make in dir holds (debug-session.ts holds it for a whole playbook run). */
  readonly lockFile: string;
  /** Go's build cache, which the 1.20 tree's hack/lib/golang.sh puts in _output itself (whatever GOCACHE
   * says) for release and debug builds alike: kept with the tree, so warm runs compile little. */
  readonly goCache: string;
  /** One line per release build made ("COMPONENT DATE SECONDS"): a cache hit adds none. */
  readonly buildLog: string;
}

/** The cache folder: KPLAY_TEST_CACHE, or /var/cache/kplay-test. */
export function k8sTestCache(): string {
  return process.env.KPLAY_TEST_CACHE || '/var/cache/kplay-test';
}

/** Why the real tree cannot be used here (for a test's skip), or undefined when it can. */
export function k8sTreeUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the real Kubernetes tree needs Linux';
  if (process.getuid?.() !== 0) return 'the real Kubernetes tree needs root: its cache is under /var/cache and its control plane binds host ports';
  const src = path.join(k8sTestCache(), 'src');
  const fetched = existsSync(src) && readdirSync(src).some((f) => /^kubernetes_.*\.orig\.tar\.gz$/.test(f));
  if (!fetched) return `no Debian kubernetes source in ${src}: run scripts/install-test-deps.sh as root`;
  for (const need of ['/usr/bin/go', '/usr/bin/make', '/usr/bin/rsync', '/usr/bin/flock', REFLECT2, ETCD_BINARY]) {
    if (!existsSync(need)) return `the real Kubernetes tree needs ${need}: run scripts/install-test-deps.sh as root`;
  }
  return undefined;
}

/** Unpacks the tree once (later calls find it ready) and describes it. */
export async function k8sTree(): Promise<K8sTree> {
  const dir = (await runScript(['tree']))[0]!;
  const versionDir = path.dirname(dir);
  const version = path.basename(versionDir);
  const cache = k8sTestCache();
  return {
    version,
    dir,
    lockFile: `${versionDir}.lock`,
    goCache: path.join(dir, '_output/local/go/cache'),
    buildLog: path.join(cache, 'bin', version, 'release', 'builds.log'),
  };
}

/**
 * The stripped release builds of `components` (all of K8S_COMPONENTS by default), built on first use and cached under
 * KPLAY_TEST_CACHE/bin/VERSION/release/. A cold build of all of them takes many minutes on 2 cores: call it in a
 * `before` hook, whose progress (make's output) goes to stderr.
 */
export async function releaseBinaries(components: readonly K8sComponent[] = K8S_COMPONENTS): Promise<Record<K8sComponent, string>> {
  const paths = await runScript(['release', ...components]);
  const out: Partial<Record<K8sComponent, string>> = {};
  components.forEach((c, i) => {
    out[c] = paths[i]!;
  });
  return out as Record<K8sComponent, string>;
}

/** Runs k8s-tree.sh; resolves with its stdout lines, rejects with the end of its stderr on failure. */
function runScript(args: string[]): Promise<string[]> {
  const unavailable = k8sTreeUnavailable();
  if (unavailable) return Promise.reject(new Error(unavailable));
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    // make's progress is passed on as it comes (a cold build runs for minutes) and kept for the error.
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      process.stderr.write(d);
      stderr = (stderr + d).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout.split('\n').filter(Boolean));
      else reject(new Error(`k8s-tree.sh ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr.trim()}`));
    });
  });
}
