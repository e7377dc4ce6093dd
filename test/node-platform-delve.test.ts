// The checks the debug playbooks make before anything changes on the node, about what will run
// there: the node's architecture (node-platform.yaml), the build's and an uploaded Delve's
// architecture, and the Go versions the Delve that will run supports (delve-supports-go.yaml).
// They run through the real engine on LocalConnection hosts (no root, no sshd). The node's `uname`
// and `dlv` are stand-in scripts where a test needs another machine or Delve release (this machine
// is amd64 with Debian's Delve 1.20.2): the checks read only their output. The binaries are real Go
// builds, cross-compiled for arm64 where a test needs another architecture.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { ExitCode } from '../src/errors.js';
import { REPO_ROOT, writeTree } from './helpers/files.js';
import { runLocal, tempDir } from './helpers/local-run.js';
import type { LocalRan } from './helpers/local-run.js';
import { goBinaryInfo } from '../playbooks/lib/go-binary-info.mjs';

const HAS_GO = existsSync('/usr/bin/go') ? undefined : 'needs golang-go (scripts/install-test-deps.sh)';
const HOST_PLATFORM = `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`;

/** A folder of stand-in commands, put first on PATH for the node's (and the controller's) shells. */
function standins(scripts: Record<string, string>): string {
  const dir = tempDir('kplay-standin-bin-');
  for (const [name, body] of Object.entries(scripts)) writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return dir;
}

/** Runs the shipped lib files named in `includes`, from a playbook whose lib/ is the shipped one. */
async function runLib(includes: string[], vars: Record<string, unknown>, pathFirst?: string): Promise<LocalRan> {
  const dir = tempDir();
  symlinkSync(path.join(REPO_ROOT, 'playbooks/lib'), path.join(dir, 'lib'));
  const tasks = includes.map((f) => `  - name: ${f}\n    include: lib/${f}`).join('\n');
  const savedPath = process.env.PATH;
  if (pathFirst) process.env.PATH = `${pathFirst}:${savedPath}`;
  try {
    return await runLocal(dir, `name: t\nhosts: all\nvars: ${JSON.stringify(vars)}\ntasks:\n${tasks}\n`);
  } finally {
    process.env.PATH = savedPath;
  }
}

const stderrOf = (ran: LocalRan, task: string): string => {
  const e = ran.end('h1', task) as { stderr?: string; message?: string };
  return `${e.stderr ?? ''}${e.message ?? ''}`;
};
const stdoutOf = (ran: LocalRan, task: string): string => String((ran.end('h1', task) as { stdout?: string }).stdout ?? '').trim();

describe("node-platform.yaml: the node's architecture decides the build's", () => {
  test('empty platform takes the node\'s (here the real machine), a matching one is kept', async () => {
    const ran = await runLib(['node-platform.yaml'], { platform: '' });
    assert.equal(ran.summary.exitCode, ExitCode.ok);
    assert.equal(stdoutOf(ran, "Find the node's architecture"), HOST_PLATFORM);
    const same = await runLib(['node-platform.yaml'], { platform: HOST_PLATFORM });
    assert.equal(stdoutOf(same, "Find the node's architecture"), HOST_PLATFORM);
  });

  // arm64 cannot run here: the node's uname is a stand-in printing what an arm64 node prints.
  test('an aarch64 node (stand-in uname) gets linux/arm64, and a platform set to linux/amd64 is refused', async () => {
    const arm = standins({ uname: '[ "$1" = -m ] && echo aarch64 || echo Linux' });
    const ran = await runLib(['node-platform.yaml'], { platform: '' }, arm);
    assert.equal(stdoutOf(ran, "Find the node's architecture"), 'linux/arm64');
    const wrong = await runLib(['node-platform.yaml'], { platform: 'linux/amd64' }, arm);
    assert.equal(wrong.summary.exitCode, ExitCode.taskFailed);
    assert.match(stderrOf(wrong, "Find the node's architecture"), /platform is linux\/amd64, but this node is aarch64 \(linux\/arm64\), where a linux\/amd64 build fails with exec format error: leave platform empty to build for the node/);
    const armv7 = await runLib(['node-platform.yaml'], { platform: '' }, standins({ uname: 'echo armv7l' }));
    assert.equal(stdoutOf(armv7, "Find the node's architecture"), 'linux/arm');
  });

  test('a machine kplay does not know needs platform set, and then takes it', async () => {
    const odd = standins({ uname: 'echo mips64' });
    const ran = await runLib(['node-platform.yaml'], { platform: '' }, odd);
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.match(stderrOf(ran, "Find the node's architecture"), /this node's machine is mips64, which is none of the platforms kplay knows: set platform/);
    const set = await runLib(['node-platform.yaml'], { platform: 'linux/mips64' }, odd);
    assert.equal(stdoutOf(set, "Find the node's architecture"), 'linux/mips64');
  });
});

describe('delve-supports-go.sh: both bounds of each Delve release', () => {
  const script = path.join(REPO_ROOT, 'playbooks/lib/delve-supports-go.sh');
  const check = (dlv: string, go: string, on = 'true') => spawnSync('/bin/sh', [script, dlv, go, on], { encoding: 'utf8' });

  test('inside the range passes; too new a Go and too old a Go are refused, each saying which bound', () => {
    const ok = check('1.20.2', 'go1.19.8');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'Delve 1.20.2 reads a binary built by go1.19.8 (Go 1.18 to 1.20)');
    const newGo = check('1.20.2', 'go1.21.0');
    assert.equal(newGo.status, 1);
    assert.match(newGo.stderr, /^Delve 1\.20\.2 is too old for a binary built by go1\.21\.0: it reads Go up to 1\.20: install a Delve that supports go1\.21\.0 .*or set dlv_check_go_version=false to try anyway/);
    const oldGo = check('v1.23.1', 'go1.19.8');
    assert.equal(oldGo.status, 1);
    assert.match(oldGo.stderr, /^Delve 1\.23\.1 is too new for a binary built by go1\.19\.8: it reads Go from 1\.21 on/);
    assert.equal(check('1.9.1', 'go1.17.13').status, 0);
    assert.equal(check('1.9.1', 'go1.16.15').status, 1);
  });

  test('a Delve newer than the table is checked against its own minor; an unknown or ancient one is refused; devel Go passes', () => {
    assert.equal(check('1.31.0', 'go1.30.2').status, 0);
    assert.match(check('1.31.0', 'go1.32.0').stderr, /reads Go up to 1\.31/);
    assert.match(check('unknown', 'go1.19.8').stderr, /Delve unknown is older than any release kplay knows/);
    assert.match(check('1.6.1', 'go1.19.8').stderr, /Delve 1\.6\.1 is older than any release kplay knows the supported Go versions of \(1\.7\)/);
    const devel = check('1.20.2', 'devel go1.22-abc');
    assert.equal(devel.status, 0);
    assert.match(devel.stdout, /not a released Go/);
  });

  test('dlv_check_go_version=false warns and goes on', () => {
    const r = check('1.20.2', 'go1.21.0', 'false');
    assert.equal(r.status, 0);
    assert.match(r.stderr, /^warning: Delve 1\.20\.2 is too old for a binary built by go1\.21\.0: it reads Go up to 1\.20\. dlv_check_go_version is false, so Delve starts with --check-go-version=false/);
  });
});

describe('delve-supports-go.yaml: the Delve that will run, checked before the upload', { skip: HAS_GO }, () => {
  let dir = '';
  let amd64 = '';
  let arm64 = '';
  let goVersion = '';
  before(() => {
    dir = writeTree({ 'go.mod': 'module example.com/x\n\ngo 1.19\n', 'main.go': 'package main\n\nfunc main() {}\n' });
    const env = { ...process.env, GOCACHE: path.join(dir, '.cache'), GOFLAGS: '', GOPROXY: 'off', CGO_ENABLED: '0' };
    mkdirSync(path.join(dir, 'out'));
    amd64 = path.join(dir, 'out/amd64');
    arm64 = path.join(dir, 'out/arm64');
    execFileSync('go', ['build', '-gcflags=all=-N -l', '-o', amd64, '.'], { cwd: dir, env, stdio: 'pipe' });
    execFileSync('go', ['build', '-gcflags=all=-N -l', '-o', arm64, '.'], { cwd: dir, env: { ...env, GOARCH: 'arm64' }, stdio: 'pipe' });
    goVersion = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  });

  // The registered results that node-platform.yaml and build.yaml hand on, as the engine's vars.
  const handed = (binary: string, platform = HOST_PLATFORM, go = goVersion) => ({
    debug_binary: { stdout: binary },
    node_platform: { stdout: platform },
    go_version: { stdout: go },
    dlv_bin: 'dlv',
    dlv_upload: '',
    dlv_check_go_version: true,
  });
  // The engine registers results from tasks, so they are made by small tasks of the playbook itself.
  async function runChecks(v: ReturnType<typeof handed>, pathFirst?: string): Promise<LocalRan> {
    const d = tempDir();
    symlinkSync(path.join(REPO_ROOT, 'playbooks/lib'), path.join(d, 'lib'));
    const reg = (name: string, value: string) => `  - name: hand on ${name}\n    local: true\n    changed_when: false\n    command: printf '%s\\n' ${JSON.stringify(value)}\n    register: ${name}`;
    const vars = { dlv_bin: v.dlv_bin, dlv_upload: v.dlv_upload, dlv_check_go_version: v.dlv_check_go_version };
    const pb = `name: t\nhosts: all\nvars: ${JSON.stringify(vars)}\ntasks:\n${reg('debug_binary', v.debug_binary.stdout)}\n${reg('node_platform', v.node_platform.stdout)}\n${reg('go_version', v.go_version.stdout)}\n${reg('dlv_path', v.dlv_bin)}\n  - name: checks\n    include: lib/delve-supports-go.yaml\n`;
    const savedPath = process.env.PATH;
    if (pathFirst) process.env.PATH = `${pathFirst}:${savedPath}`;
    try {
      return await runLocal(d, pb);
    } finally {
      process.env.PATH = savedPath;
    }
  }
  const CHECK = "Check that Delve supports the binary's Go version";

  test("the node's real Delve (Debian's 1.20.2) and a real Go 1.19 debug build pass", { skip: existsSync('/usr/bin/dlv') ? undefined : 'needs delve' }, async () => {
    const ran = await runChecks(handed(amd64));
    assert.equal(ran.summary.exitCode, ExitCode.ok, JSON.stringify(ran.events.filter((e) => e.type === 'task_end').slice(-2)));
    assert.equal(stdoutOf(ran, "Find Delve's version on the node"), spawnSync('dlv', ['version'], { encoding: 'utf8' }).stdout.match(/Version: (\S+)/)![1]);
    assert.match(stdoutOf(ran, CHECK), new RegExp(`reads a binary built by ${goVersion.replace(/\./g, '\\.')}`));
  });

  test("a node whose Delve is too new for the binary's Go (stand-in dlv printing 1.23.0) is refused, and warned with dlv_check_go_version=false", async () => {
    const newDlv = standins({ dlv: 'echo "Delve Debugger"; echo "Version: 1.23.0"; echo "Build: $Id: stand-in $"' });
    const ran = await runChecks(handed(amd64, HOST_PLATFORM, 'go1.19.8'), newDlv);
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.match(stderrOf(ran, CHECK), /Delve 1\.23\.0 is too new for a binary built by go1\.19\.8: it reads Go from 1\.21 on/);
    const warned = await runChecks({ ...handed(amd64, HOST_PLATFORM, 'go1.19.8'), dlv_check_go_version: false }, newDlv);
    assert.equal(warned.summary.exitCode, ExitCode.ok);
    assert.match(stderrOf(warned, CHECK), /^warning: Delve 1\.23\.0 is too new/);
  });

  test('a build for arm64 on an amd64 node is refused before the upload; on an arm64 node it passes', async () => {
    const ran = await runChecks(handed(arm64, 'linux/amd64'));
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.match(stderrOf(ran, "Check the build is for the node's architecture"), /the debug build \(.*arm64\) is built for linux\/arm64, but the node is linux\/amd64, where it would fail with exec format error/);
    assert.equal(ran.started('h1', CHECK), false, 'nothing after the refusal runs');
    assert.equal(goBinaryInfo(arm64).find(([k]) => k === 'arch')?.[1], 'arm64');
    const armDlv = standins({ dlv: 'echo "Version: 1.20.2"' });
    const onArm = await runChecks(handed(arm64, 'linux/arm64'), armDlv);
    assert.equal(onArm.summary.exitCode, ExitCode.ok);
  });

  // A dlv made by `go install github.com/go-delve/delve/cmd/dlv@VERSION` records VERSION as its module's.
  // The stand-in module of that path (served by a file:// module proxy, no network) prints another
  // version when run, so the test sees that the version comes from the file, not from running it.
  function goInstalledDlv(version: string, goarch: string): string {
    const root = tempDir('kplay-dlv-module-');
    const proxy = path.join(root, 'proxy/github.com/go-delve/delve/@v');
    mkdirSync(proxy, { recursive: true });
    const mod = 'module github.com/go-delve/delve\n\ngo 1.19\n';
    writeFileSync(path.join(proxy, `${version}.mod`), mod);
    writeFileSync(path.join(proxy, `${version}.info`), JSON.stringify({ Version: version, Time: '2023-06-01T00:00:00Z' }));
    writeFileSync(path.join(proxy, 'list'), `${version}\n`);
    const src = writeTree({ 'go.mod': mod, 'cmd/dlv/main.go': 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("Version: 9.9.9") }\n' });
    execFileSync('python3', ['-c', `import zipfile,os,sys\nz=zipfile.ZipFile(sys.argv[1],'w')\nfor r,_,fs in os.walk(sys.argv[2]):\n  for f in fs:\n    p=os.path.join(r,f); z.write(p, sys.argv[3]+'/'+os.path.relpath(p,sys.argv[2]))\nz.close()`, path.join(proxy, `${version}.zip`), src, `github.com/go-delve/delve@${version}`]);
    const gobin = path.join(root, 'bin');
    execFileSync('go', ['install', `github.com/go-delve/delve/cmd/dlv@${version}`], {
      env: { ...process.env, GOPROXY: `file://${path.join(root, 'proxy')}`, GOSUMDB: 'off', GOFLAGS: '', GOPATH: path.join(root, 'gopath'), GOCACHE: path.join(root, 'cache'), CGO_ENABLED: '0', GOARCH: goarch, ...(goarch === 'amd64' ? { GOBIN: gobin } : {}) },
      stdio: 'pipe',
    });
    return goarch === 'amd64' ? path.join(gobin, 'dlv') : path.join(root, 'gopath/bin', `linux_${goarch}`, 'dlv');
  }

  test('dlv_upload made by go install: its version is its module version; an arm64 one is refused on an amd64 node', { skip: existsSync('/usr/bin/python3') ? undefined : 'needs python3 to pack the module' }, async () => {
    const dlv = goInstalledDlv('v1.21.0', 'amd64');
    const ran = await runChecks({ ...handed(amd64, HOST_PLATFORM, 'go1.19.8'), dlv_upload: dlv });
    assert.equal(ran.summary.exitCode, ExitCode.ok);
    assert.equal(stdoutOf(ran, 'Check the Delve to upload'), 'v1.21.0');
    assert.equal(stdoutOf(ran, CHECK), 'Delve 1.21.0 reads a binary built by go1.19.8 (Go 1.19 to 1.21)');
    const tooNew = await runChecks({ ...handed(amd64, HOST_PLATFORM, 'go1.18.10'), dlv_upload: dlv });
    assert.equal(tooNew.summary.exitCode, ExitCode.taskFailed);
    assert.match(stderrOf(tooNew, CHECK), /Delve 1\.21\.0 is too new for a binary built by go1\.18\.10: it reads Go from 1\.19 on/);
    const armDlv = goInstalledDlv('v1.21.0', 'arm64');
    const wrong = await runChecks({ ...handed(amd64), dlv_upload: armDlv });
    assert.equal(wrong.summary.exitCode, ExitCode.taskFailed);
    assert.match(stderrOf(wrong, 'Check the Delve to upload'), /dlv_upload \(.*dlv\) is built for linux\/arm64, but the node is linux\/amd64/);
  });

  test('dlv_upload: its ELF machine must be the node\'s; its version is read from the file (here by running Debian\'s dlv)', { skip: existsSync('/usr/bin/dlv') ? undefined : 'needs delve' }, async () => {
    const sameArch = await runChecks({ ...handed(amd64), dlv_upload: '/usr/bin/dlv' });
    assert.equal(sameArch.summary.exitCode, ExitCode.ok, 'an amd64 dlv for an amd64 node');
    assert.equal(stdoutOf(sameArch, 'Check the Delve to upload'), '1.20.2');
    const forArm = await runChecks({ ...handed(arm64, 'linux/arm64'), dlv_upload: '/usr/bin/dlv' });
    assert.equal(forArm.summary.exitCode, ExitCode.taskFailed);
    assert.match(stderrOf(forArm, 'Check the Delve to upload'), /dlv_upload \(\/usr\/bin\/dlv\) is built for linux\/amd64, but the node is linux\/arm64/);
    const script = path.join(dir, 'dlv-script');
    writeFileSync(script, '#!/bin/sh\necho "Version: 1.20.2"\n', { mode: 0o755 });
    const notElf = await runChecks({ ...handed(amd64), dlv_upload: script });
    assert.equal(notElf.summary.exitCode, ExitCode.taskFailed);
    assert.match(stderrOf(notElf, 'Check the Delve to upload'), /dlv_upload \(.*dlv-script\) is not a program for Linux: .* is not an ELF file/);
  });
});
