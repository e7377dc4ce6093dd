// The README's "Debug another component" playbook, exactly as written there, on the REAL Kubernetes 1.20.2
// control plane (test/support/real-control-plane.ts), whose etcd is Debian's 3.4 run from kubeadm's own
// static-pod manifest: kplay builds Debian's etcd source with the playbook's build_command, includes the
// shipped steps by their kplay: names from a folder outside the checkout, and runs the build under Delve
// with etcd's captured flags. A Delve client through kplay's tunnel stops it on the /health handler, hit
// by a request to etcd's client URL with kubeadm's health-check client certificate. Ctrl-C puts the
// manifest back: exit 0, no dlv, manifest byte-identical, the original etcd with its original flags,
// healthy, and the apiserver's data still there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { kplay } from '../helpers/cli.js';
import { readmeEtcdPlaybook } from '../helpers/readme-section.js';
import { startDebugRun } from '../support/debug-session.js';
import { DelveClient } from '../support/delve-client.js';
import { etcdSource, etcdSourceUnavailable } from '../support/etcd-source.js';
import { k8sTreeUnavailable } from '../support/k8s-tree.js';
import { startRealControlPlane } from '../support/real-control-plane.js';
import type { RealControlPlane } from '../support/real-control-plane.js';
import { endSession } from '../support/real-debug-session.js';

const unavailable = k8sTreeUnavailable() ?? etcdSourceUnavailable() ?? (existsSync('/usr/bin/dlv') ? undefined : 'needs delve (scripts/install-test-deps.sh)');

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
const MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
const HEALTH = 'curl -s --max-time 120 http://127.0.0.1:2381/health';
const CLIENT_HEALTH =
  'curl -s --max-time 120 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key https://127.0.0.1:2379/health';

async function until(ok: () => boolean, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(500);
  }
}

describe("the README's debug-etcd.yaml on the real control plane's etcd", { skip: unavailable, timeout: 3_600_000 }, () => {
  let cp: RealControlPlane;
  let work: string;
  let playbook: string;
  let source: string;
  before(async () => {
    source = etcdSource();
    cp = await startRealControlPlane({ ssh: true });
    // The user's own folder, outside kplay's checkout: the playbook, and the schemas its first line names.
    work = mkdtempSync(path.join(tmpdir(), 'kplay-etcd-'));
    playbook = path.join(work, 'debug-etcd.yaml');
    writeFileSync(playbook, readmeEtcdPlaybook());
    const schemas = kplay(['schemas', '--write', 'schemas'], { cwd: work });
    assert.equal(schemas.code, 0, schemas.err);
  });
  after(async () => {
    await cp?.close();
    assert.deepEqual(cp?.processesLeft() ?? [], [], 'no process of the node is left');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('built by its own build_command, stopped on the /health handler by a request to the client URL, and put back', async () => {
    const validated = kplay(['validate', playbook], { cwd: work });
    assert.equal(validated.code, 0, validated.err);
    const [pid] = cp.pids('etcd');
    assert.ok(pid, "kubeadm's etcd runs");
    const cmdline = cp.cmdline(pid);
    const manifestSha = sha(cp.hostPath(MANIFEST));
    cp.kubectl(['create', 'configmap', 'etcd-kept', '--from-literal=k=v']);

    const run = await startDebugRun({ lab: cp.lab!, host: 'h1', treeDir: source, component: 'etcd', playbook, workDir: mkdtempSync(path.join(work, 'run-')) });
    let exit: { code: number | null; out: string };
    try {
      await run.attached(3_000_000);
      const debug = cp.pids('etcd');
      assert.equal(debug.length, 1, `one etcd during the session: ${debug}`);
      const argv = cp.cmdline(debug[0]!);
      assert.equal(argv[0], path.join(run.remoteDir, 'etcd'));
      assert.deepEqual(argv.slice(1), cmdline.slice(1), "exactly the flags kubeadm's manifest gave etcd");
      assert.equal(existsSync(cp.hostPath(MANIFEST)), false, 'the manifest is out of the kubelet folder');
      const built = spawnSync('go', ['version', '-m', path.join(run.remoteDir, 'etcd')], { encoding: 'utf8' }).stdout;
      assert.match(built, /path\s+go\.etcd\.io\/etcd\n/, 'the upload is the etcd the build_command made');
      assert.match(built, /-gcflags="all=-N -l"/, 'without optimisation');

      const client = await DelveClient.connect(run.localPort);
      try {
        await client.halt();
        const { Sources } = (await client.call('ListSources', {})) as { Sources: string[] };
        const file = Sources.find((s) => s.endsWith('/go.etcd.io/etcd/etcdserver/api/etcdhttp/metrics.go'));
        assert.ok(file, "Delve knows the health handler's file under the GOPATH of the build_command");
        const line = readFileSync(path.join(source, 'etcdserver/api/etcdhttp/metrics.go'), 'utf8').split('\n').findIndex((l) => l.includes('excludedAlarms := getExcludedAlarms(r)')) + 1;
        assert.ok(line > 0);
        const id = await client.setBreakpoint(file, line);
        const stopped = client.continueUntilStopped(180_000);
        const answer = cp.execAsync(CLIENT_HEALTH, 180_000);
        const at = await stopped;
        assert.equal(at.file, file);
        assert.equal(at.line, line);
        assert.match(at.function, /etcdhttp\.NewHealthHandler\.func1$/);
        let answered = false;
        void answer.then(() => (answered = true));
        await sleep(1500);
        assert.equal(answered, false, 'the request waits while etcd is stopped at the breakpoint');
        await client.clearBreakpoint(id);
        client.resume();
        const r = await answer;
        assert.match(r.stdout, /"health":"true"/, r.stderr);
      } finally {
        client.close();
      }
    } finally {
      exit = await endSession(run);
    }
    assert.equal(exit.code, 0, exit.out);
    assert.equal(cp.exec('pgrep -a -x dlv').stdout.trim(), '', 'no dlv left on the node');
    assert.equal(sha(cp.hostPath(MANIFEST)), manifestSha, 'the manifest is byte-identical');
    await until(() => cp.pids('etcd').length === 1 && cp.cmdline(cp.pids('etcd')[0]!)[0] === cmdline[0], 'the original etcd runs again');
    assert.deepEqual(cp.cmdline(cp.pids('etcd')[0]!), cmdline, 'with its original command line');
    await until(() => /"health":"true"/.test(cp.exec(HEALTH).stdout), 'the original etcd is healthy');
    await until(() => cp.exec("kubectl --kubeconfig /etc/kubernetes/admin.conf get configmap etcd-kept -o 'jsonpath={.data.k}'").stdout === 'v', "the apiserver reads etcd's data again");
    assert.equal(existsSync(run.remoteDir), false, 'the uploads were removed');
    assert.equal(existsSync(cp.hostPath('/etc/kubernetes/kplay-backup')), false, 'no backup folder left');
  });
});
