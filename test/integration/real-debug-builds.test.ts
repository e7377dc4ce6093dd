// Debug builds of the REAL Kubernetes 1.20.2 tree made by the playbooks' build script, read back with
// the reader the playbooks use. A kubelet build takes minutes on 2 cores: run this file only under the
// real control plane's lock (flock /run/lock/kplay-real.lock node --import tsx --test FILE).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../helpers/files.js';
import { k8sTree, k8sTreeUnavailable } from '../support/k8s-tree.js';
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
  test('the kubelet is built static (KUBE_STATIC_OVERRIDES): no ELF interpreter, no libc, and still a debug build', { timeout: 60 * 60_000 }, async () => {
    const tree = await k8sTree();
    const bin = await buildInTree(tree.lockFile, tree.dir, 'kubelet');
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
});
