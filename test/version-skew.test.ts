// Version skew and flag acceptance, checked after the flags are captured and before anything is
// stopped (version-skew.yaml), through the real engine on a LocalConnection host (no root). The
// component is a STAND-IN: a small Go program that, like the Kubernetes commands, parses every flag
// first (an unknown one: "Error: unknown flag: --x", exit 1), then answers --version with
// "Kubernetes vX.Y.Z" and exits, and otherwise runs until stopped. It is built twice with different
// versions stamped in (-X), one running as "the component", one as "the debug build". The same
// checks on the real 1.20.2 binaries are in test/integration/real-debug-builds.test.ts.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExitCode } from '../src/errors.js';
import { REPO_ROOT, writeTree } from './helpers/files.js';
import { runLocal, tempDir } from './helpers/local-run.js';
import type { LocalRan } from './helpers/local-run.js';

const SCRIPT = path.join(REPO_ROOT, 'playbooks/lib/version-skew.sh');
const skew = (...a: string[]) => spawnSync('/bin/sh', [SCRIPT, ...a], { encoding: 'utf8' });

describe('version-skew.sh', () => {
  test('the same minor passes quietly; another minor warns; an unreadable version warns and goes on', () => {
    const same = skew('kube-apiserver', 'Kubernetes v1.20.2', 'Kubernetes v1.20.5');
    assert.equal(same.status, 0);
    assert.equal(same.stderr, '');
    assert.equal(same.stdout.trim(), 'running v1.20.2, build v1.20.5');
    const other = skew('kube-scheduler', 'Kubernetes v1.19.7', 'Kubernetes v1.20.2');
    assert.equal(other.status, 0);
    assert.match(other.stderr, /^warning: the running kube-scheduler is v1\.19\.7 and the debug build is v1\.20\.2: a different minor version .*build from the tree of v1\.19/);
    const unknown = skew('kube-proxy', '', 'Kubernetes v1.20.2');
    assert.equal(unknown.status, 0);
    assert.match(unknown.stderr, /running kube-proxy's version could not be read/);
  });

  test('a kubelet newer than the apiserver is refused; as old or older passes; an unknown apiserver warns', () => {
    const newer = skew('kubelet', 'Kubernetes v1.20.2', 'Kubernetes v1.21.0', 'v1.20.2');
    assert.equal(newer.status, 1);
    assert.match(newer.stderr, /the debug kubelet is v1\.21\.0, newer than the apiserver \(v1\.20\.2\): Kubernetes does not support a kubelet newer than its apiserver\. Build the kubelet from a tree of v1\.20 or older/);
    assert.equal(skew('kubelet', 'Kubernetes v1.20.2', 'Kubernetes v1.20.9', 'v1.20.2').status, 0, 'a newer patch of the same minor is allowed');
    assert.equal(skew('kubelet', 'Kubernetes v1.19.2', 'Kubernetes v1.19.2', 'v1.20.2').status, 0);
    const noApi = skew('kubelet', 'Kubernetes v1.20.2', 'Kubernetes v1.20.2', '');
    assert.equal(noApi.status, 0);
    assert.match(noApi.stderr, /apiserver's version could not be read/);
  });
});

const STANDIN = `package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
)

var gitVersion = "v0.0.0"

func main() {
	fs := flag.NewFlagSet("standin", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	version := fs.Bool("version", false, "print the version")
	fs.String("secure-port", "", "")
	fs.String("kubeconfig", "", "")
	if err := fs.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error: unknown flag")
		os.Exit(1)
	}
	if *version {
		fmt.Println("Kubernetes " + gitVersion)
		return
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt)
	<-c
}
`;

describe('version-skew.yaml on a stand-in component (a Go program printing the versions it is built with)', { skip: existsSync('/usr/bin/go') ? undefined : 'needs golang-go (scripts/install-test-deps.sh)' }, () => {
  let src = '';
  const running: ChildProcess[] = [];
  const build = (version: string): string => {
    const out = path.join(src, 'out', version);
    execFileSync('go', ['build', '-ldflags', `-X main.gitVersion=${version}`, '-o', out, '.'], { cwd: src, env: { ...process.env, GOCACHE: path.join(src, '.cache'), GOFLAGS: '', GOPROXY: 'off' }, stdio: 'pipe' });
    return out;
  };
  before(() => {
    src = writeTree({ 'go.mod': 'module example.com/standin\n\ngo 1.19\n', 'main.go': STANDIN });
    mkdirSync(path.join(src, 'out'));
  });
  after(() => {
    for (const p of running) p.kill('SIGKILL');
  });

  /** Runs version-skew.yaml as the debug session does: the component runs from `runningBin`, the build in remote_dir. */
  async function session(component: string, runningBin: string, buildBin: string, flags: string[]): Promise<LocalRan> {
    const proc = spawn(runningBin, ['--secure-port=6443'], { stdio: 'ignore' });
    running.push(proc);
    const dir = tempDir();
    symlinkSync(path.join(REPO_ROOT, 'playbooks/lib'), path.join(dir, 'lib'));
    const remote = path.join(dir, 'remote');
    mkdirSync(remote);
    execFileSync('cp', [buildBin, path.join(remote, component)]);
    writeFileSync(path.join(remote, `${component}.flags`), flags.map((f) => `${f}\0`).join(''));
    const vars = { component, remote_dir: remote, go_version: 'x' };
    const pb = [
      `name: t\nhosts: all\nvars: ${JSON.stringify(vars)}\ntasks:`,
      `  - name: pid\n    changed_when: false\n    command: echo ${proc.pid}\n    register: pid`,
      `  - name: flags\n    read: {path: "{{remote_dir}}/{{component}}.flags", format: cmdline}\n    register: launch_flags`,
      `  - name: checks\n    include: lib/version-skew.yaml`,
    ].join('\n');
    try {
      return await runLocal(dir, `${pb}\n`);
    } finally {
      proc.kill('SIGINT');
    }
  }
  const out = (ran: LocalRan, task: string) => ran.end('h1', task) as { stdout?: string; stderr?: string; status: string };

  test('a build of another minor is warned about; the running and built versions are both read', async () => {
    const ran = await session('kube-apiserver', build('v1.19.7'), build('v1.20.2'), ['--secure-port=6443']);
    assert.equal(ran.summary.exitCode, ExitCode.ok);
    assert.equal(String(out(ran, "Find the running component's version").stdout).trim(), 'Kubernetes v1.19.7');
    assert.equal(String(out(ran, 'Check the build accepts the captured flags').stdout).trim(), 'Kubernetes v1.20.2');
    const check = out(ran, 'Check the versions of the running component, the build and the apiserver');
    assert.match(String(check.stderr), /warning: the running kube-apiserver is v1\.19\.7 and the debug build is v1\.20\.2/);
  });

  test('a captured flag the build does not know is refused before anything is stopped, naming the flag', async () => {
    const ran = await session('kube-apiserver', build('v1.20.2'), build('v1.20.3'), ['--secure-port=6443', '--removed-in-this-build=1']);
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    const e = out(ran, 'Check the build accepts the captured flags');
    assert.match(String(e.stderr), /the debug build of kube-apiserver does not accept the flags the running one was started with \(it was run with them and --version, exit 1\):\n {2}flag provided but not defined: -removed-in-this-build/);
    assert.match(String(e.stderr), /nothing was stopped/);
    assert.equal(ran.started('h1', 'Check the versions of the running component, the build and the apiserver'), false);
  });

  test('kubelet: a build newer than the apiserver (read from /version with the kubelet\'s kubeconfig) is refused', async () => {
    // The apiserver's /version, served over HTTP by a one-line server, as the kubelet's kubeconfig names it.
    const http = await import('node:http');
    const server = http.createServer((_q, r) => r.end('{\n  "major": "1",\n  "minor": "20",\n  "gitVersion": "v1.20.2",\n  "platform": "linux/amd64"\n}'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    const kubeconfig = path.join(writeTree({ 'kubelet.conf': `apiVersion: v1\nclusters:\n- cluster:\n    server: http://127.0.0.1:${port}\n  name: default\n` }), 'kubelet.conf');
    try {
      const ran = await session('kubelet', build('v1.20.2'), build('v1.21.1'), ['--kubeconfig', kubeconfig]);
      assert.equal(String(out(ran, "Find the apiserver's version").stdout).trim(), 'v1.20.2');
      assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
      assert.match(String(out(ran, 'Check the versions of the running component, the build and the apiserver').stderr), /the debug kubelet is v1\.21\.1, newer than the apiserver \(v1\.20\.2\)/);
      const same = await session('kubelet', build('v1.20.2'), build('v1.20.2'), [`--kubeconfig=${kubeconfig}`]);
      assert.equal(same.summary.exitCode, ExitCode.ok);
    } finally {
      server.close();
    }
  });
});
