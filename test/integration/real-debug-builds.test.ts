// Debug builds of the REAL Kubernetes 1.20.2 tree made by the playbooks' build script, read back with
// the reader the playbooks use. A kubelet build takes minutes on 2 cores: run this file only under the
// real control plane's lock (flock /run/lock/kplay-real.lock node --import tsx --test FILE).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../helpers/files.js';
import { k8sTree, k8sTreeUnavailable, releaseBinaries } from '../support/k8s-tree.js';
import { tempDir } from '../helpers/local-run.js';
import { goBinaryInfo } from '../../playbooks/lib/go-binary-info.mjs';

const info = (file: string): Map<string, string> => new Map(goBinaryInfo(file));

/** build-debug.sh on the tree, holding the tree's flock as every make there does; resolves with the binary's path. */
function buildInTree(lockFile: string, dir: string, component: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', [lockFile, 'sh', path.join(REPO_ROOT, 'playbooks/lib/build-debug.sh'), dir, component, 'auto', 'linux/amd64'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n').pop()!) : reject(new Error(`build-debug.sh ${component} failed (${code}):\n${err}`))));
  });
}

describe('debug builds of the real 1.20.2 tree', { skip: k8sTreeUnavailable() }, () => {
  let kubelet = '';
  test('the kubelet is built static (KUBE_STATIC_OVERRIDES): no ELF interpreter, no libc, and still a debug build', { timeout: 60 * 60_000 }, async () => {
    const tree = await k8sTree();
    const bin = await buildInTree(tree.lockFile, tree.dir, 'kubelet');
    kubelet = bin;
    const facts = info(bin);
    assert.equal(facts.get('static'), 'yes', 'no PT_INTERP: the kernel runs it without a dynamic loader');
    assert.equal(facts.get('arch'), 'amd64');
    assert.notEqual(facts.get('dwarf'), 'none');
    // The tree's default for the kubelet is cgo, which the override turns off.
    const settings = goBinaryInfo(bin).filter(([k]) => k === 'build').map(([, v]) => v);
    assert.ok(settings.includes('CGO_ENABLED=0'), settings.join('\n'));
    assert.ok(settings.some((s) => /-gcflags=.*-N -l/.test(s)), 'built without optimisation');
    // The system's own view agrees: ldd finds nothing to load.
    const ldd = spawnSync('ldd', [bin], { encoding: 'utf8' });
    assert.match(`${ldd.stdout}${ldd.stderr}`, /not a dynamic executable|statically linked/);
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    assert.equal(version.stdout.trim(), 'Kubernetes v1.20.2');
  });

  // What version-skew.yaml runs on the node: the build with the captured flags and --version. The real
  // commands parse every flag first and answer --version before they read a file or open a port.
  test('the real kube-apiserver and debug kubelet answer FLAGS --version with their version, and refuse an unknown flag, starting nothing', { timeout: 10 * 60_000 }, async () => {
    const { 'kube-apiserver': apiserver } = await releaseBinaries(['kube-apiserver']);
    const cwd = tempDir('kplay-flagcheck-');
    const run = (bin: string, args: string[]) => spawnSync(bin, [...args, '--version'], { encoding: 'utf8', cwd, timeout: 60_000 });
    const kubeadmFlags = ['--advertise-address=192.0.2.10', '--etcd-servers=https://127.0.0.1:2379', '--secure-port=6443', '--client-ca-file=/nonexistent/ca.crt', '--tls-cert-file=/nonexistent/apiserver.crt', '--tls-private-key-file=/nonexistent/apiserver.key', '--enable-admission-plugins=NodeRestriction', '--authorization-mode=Node,RBAC'];
    const ok = run(apiserver, kubeadmFlags);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'Kubernetes v1.20.2');
    const bad = run(apiserver, [...kubeadmFlags, '--no-such-flag=1']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown flag: --no-such-flag/);
    assert.ok(kubelet, 'the kubelet test built it');
    const kOk = run(kubelet, ['--kubeconfig=/nonexistent/kubelet.conf', '--config=/nonexistent/config.yaml', '--container-runtime=remote', '--node-ip=192.0.2.10']);
    assert.equal(kOk.status, 0, kOk.stderr);
    assert.equal(kOk.stdout.trim(), 'Kubernetes v1.20.2');
    const kBad = run(kubelet, ['--kubeconfig=/nonexistent/kubelet.conf', '--no-such-flag']);
    assert.notEqual(kBad.status, 0);
    assert.match(kBad.stderr, /unknown flag: --no-such-flag/);
    assert.deepEqual(spawnSync('ls', ['-A', cwd], { encoding: 'utf8' }).stdout, '', 'nothing was written where they ran');
  });
});
