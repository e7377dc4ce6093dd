/**
 * Debian's etcd 3.4.23 source for the README's "Debug another component" playbook: the source package
 * (fetched into KPLAY_TEST_CACHE/etcd-src by scripts/install-test-deps.sh, with `apt-get build-dep etcd`
 * for the Go libraries it is built against) unpacked once, with Debian's patches, into
 * KPLAY_TEST_CACHE/etcd-tree/etcd-VERSION. The playbook builds it itself (build_command) in a GOPATH
 * beside it, so Go's build cache makes later runs quick.
 *
 *   const skip = etcdSourceUnavailable();
 *   const dir = etcdSource();                 // source_dir for debug-etcd.yaml
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { k8sTestCache } from './k8s-tree.js';

/** A package of `apt-get build-dep etcd`: the source builds only where those are installed. */
const BUILD_DEP = '/usr/share/gocode/src/go.etcd.io/bbolt';

function dscFile(): string | undefined {
  const dir = path.join(k8sTestCache(), 'etcd-src');
  const dsc = existsSync(dir) ? readdirSync(dir).find((f) => /^etcd_.*\.dsc$/.test(f)) : undefined;
  return dsc && path.join(dir, dsc);
}

/** Why the etcd source cannot be built here (for a test's skip), or undefined when it can. */
export function etcdSourceUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the etcd source lives in the root-owned test cache';
  if (!dscFile()) return `no Debian etcd source in ${path.join(k8sTestCache(), 'etcd-src')}: run scripts/install-test-deps.sh as root`;
  for (const need of [BUILD_DEP, '/usr/bin/dpkg-source', '/usr/bin/go']) {
    if (!existsSync(need)) return `building Debian's etcd needs ${need}: run scripts/install-test-deps.sh as root`;
  }
  return undefined;
}

/** The unpacked, patched source (unpacked on first use, into a temporary name renamed when complete). */
export function etcdSource(): string {
  const dsc = dscFile()!;
  const version = /^etcd_([^-]+)-/.exec(path.basename(dsc))![1]!;
  const root = path.join(k8sTestCache(), 'etcd-tree');
  const dir = path.join(root, `etcd-${version}`);
  if (existsSync(dir)) return dir;
  mkdirSync(root, { recursive: true });
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const r = spawnSync('dpkg-source', ['--no-check', '-x', dsc, partial], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dpkg-source -x ${dsc} failed: ${r.stderr}`);
  renameSync(partial, dir);
  return dir;
}
