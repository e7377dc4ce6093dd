// How the dlv kind starts Delve, run for real on the controller (no root, no sshd, no systemd): the
// captured environment less its session's variables, the folder it starts from, and, where the host runs
// systemd, the systemd-run command line and the unit its undo stops. systemd cannot run here, so the
// systemd side is checked at its boundary: the exact arguments given to systemd-run and systemctl
// (recorded by stand-ins on PATH that start nothing), with the runtime folder systemd boots with faked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../helpers/local-run.js';
import { launchScript, parseEnviron, PROCESS_MARK_VAR, stopMarked, SYSTEMD_RUNTIME_DIR } from '../../src/tasks/dlv.js';

const ENVIRON = ['PATH=/usr/local/bin:/container/bin', 'HOME=/root', 'HOSTNAME=cp1', 'HTTPS_PROXY=http://user:pw@proxy:3128', 'NO_PROXY=10.0.0.0/8,.svc', 'GODEBUG=x509ignoreCN=0', 'MULTI=a=b\nc', 'INVOCATION_ID=abc', 'JOURNAL_STREAM=8:1', `${PROCESS_MARK_VAR}=oldmark`, '_=/usr/bin/kubelet', 'SHLVL=1', 'PWD=/var/lib'].join('\0') + '\0';

test("parseEnviron keeps the component's own variables and drops its session's, systemd's and an old kplay mark", () => {
  assert.deepEqual(parseEnviron(Buffer.from(ENVIRON)), { HTTPS_PROXY: 'http://user:pw@proxy:3128', NO_PROXY: '10.0.0.0/8,.svc', GODEBUG: 'x509ignoreCN=0', MULTI: 'a=b\nc' });
  assert.deepEqual(parseEnviron(''), {});
});

/** A folder with executables (name -> sh body) put first on PATH. */
function standins(dir: string, tools: Record<string, string>): string {
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  }
  return `${dir}:${process.env.PATH}`;
}

function sh(script: string, env: NodeJS.ProcessEnv): { code: number | null; out: string; err: string } {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', env, cwd: '/tmp' });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), what);
}

describe('launchScript', () => {
  test('without systemd: detached with setsid, from cwd, with the captured environment, the mark and the login PATH', async () => {
    const dir = tempDir('kplay-dlv-launch-');
    // A stand-in dlv that writes down where and with what it was started (the real one passes both to the program).
    const PATH = standins(dir, { dlv: `pwd > "${dir}/cwd"; env > "${dir}/env"; echo "dlv output"` });
    const env = { ...parseEnviron(ENVIRON), EXTRA: 'from env' };
    const script = launchScript({ binary: '/bin/true', dlv: 'dlv', log: path.join(dir, 'logs/dlv.log'), cwd: '/', unit: 'kplay-debug-x', pid_file: path.join(dir, 'pid') }, 'm1', env);
    const r = sh(script, { PATH, HOME: '/home/u' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\d+$/, 'prints the pid');
    assert.equal(readFileSync(path.join(dir, 'pid'), 'utf8').trim(), r.out);
    await until(() => existsSync(path.join(dir, 'env')) && readFileSync(path.join(dir, 'logs/dlv.log'), 'utf8').includes('dlv output'), 'the stand-in dlv ran and its output went to the log');
    assert.equal(readFileSync(path.join(dir, 'cwd'), 'utf8').trim(), '/');
    const seen = readFileSync(path.join(dir, 'env'), 'utf8');
    assert.match(seen, /^HTTPS_PROXY=http:\/\/user:pw@proxy:3128$/m);
    assert.match(seen, /^GODEBUG=x509ignoreCN=0$/m);
    assert.match(seen, /^MULTI=a=b\nc$/m, 'a value with = and a newline arrives whole');
    assert.match(seen, /^EXTRA=from env$/m);
    assert.match(seen, new RegExp(`^${PROCESS_MARK_VAR}=m1$`, 'm'), "the new mark, not the captured one");
    assert.match(seen, new RegExp(`^PATH=${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`, 'm'), "the login's PATH, not the container's");
    assert.doesNotMatch(seen, /container\/bin|INVOCATION_ID/);
  });

  test('with systemd: a transient unit with KillMode=mixed, the log, the folder and every variable; the pid is the unit main pid', () => {
    const dir = tempDir('kplay-dlv-systemd-');
    const calls = path.join(dir, 'calls');
    const PATH = standins(dir, {
      'systemd-run': `for a in "$@"; do printf '%s\\n' "$a"; done > "${calls}"; [ ! -t 0 ] || exit 9`,
      systemctl: `echo "systemctl $*" >> "${dir}/systemctl.calls"; echo MainPID=4242`,
      dlv: `echo "the stand-in dlv must not run here" >&2; exit 1`,
    });
    const log = path.join(dir, 'dlv.log');
    writeFileSync(log, 'output of an earlier session\n');
    const script = launchScript({ binary: '/opt/kube-apiserver', dlv: 'dlv', log, cwd: '/', unit: 'kplay-debug-kube-apiserver', continue: true, args: ['--secure-port=6443', 'a b'] }, 'm2', { NO_PROXY: '.svc' });
    assert.ok(script.includes(`[ -d ${SYSTEMD_RUNTIME_DIR} ]`), 'systemd is detected as sd_booted() does');
    const r = sh(script.replaceAll(SYSTEMD_RUNTIME_DIR, dir), { PATH });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '4242');
    assert.equal(readFileSync(path.join(dir, 'systemctl.calls'), 'utf8'), 'systemctl show -p MainPID kplay-debug-kube-apiserver\n');
    assert.deepEqual(readFileSync(calls, 'utf8').split('\n').slice(0, -1), [
      '--unit=kplay-debug-kube-apiserver',
      '--collect',
      '--quiet',
      ...['-p', 'KillMode=mixed', '-p', 'TimeoutStopSec=10', '-p', 'StandardInput=null', '-p', `StandardOutput=file:${log}`, '-p', 'WorkingDirectory=/'],
      '--setenv=NO_PROXY=.svc',
      `--setenv=${PROCESS_MARK_VAR}=m2`,
      '--',
      ...['dlv', 'exec', '/opt/kube-apiserver', '--headless', '--listen=127.0.0.1:2345', '--api-version=2', '--accept-multiclient', '--continue', '--', '--secure-port=6443', 'a b'],
    ]);
    assert.equal(readFileSync(log, 'utf8'), '', "an earlier session's output is not taken for this one's");
  });

  test('systemd-run refusing (a unit of that name still runs) fails the launch', () => {
    const dir = tempDir('kplay-dlv-systemd-');
    const PATH = standins(dir, { 'systemd-run': 'echo "Failed to start transient service unit: Unit kplay-debug-x.service already exists." >&2; exit 1' });
    const r = sh(launchScript({ binary: '/bin/true', log: path.join(dir, 'l'), unit: 'kplay-debug-x' }, 'm3', {}).replaceAll(SYSTEMD_RUNTIME_DIR, dir), { PATH });
    assert.equal(r.code, 1);
    assert.match(r.err, /already exists/);
  });
});

describe("stop_marked with a unit", () => {
  test('an active unit is stopped through systemctl; an unknown one is left to the marked-process search', () => {
    const dir = tempDir('kplay-dlv-stop-');
    for (const active of [true, false]) {
      const log = path.join(dir, `systemctl-${active}`);
      const PATH = standins(dir, { systemctl: `echo "$*" >> "${log}"; [ "$1" != is-active ] || exit ${active ? 0 : 3}` });
      const r = sh(stopMarked.script({ mark: `none-${process.pid}`, leader: 'dlv', graceSeconds: 1, unit: 'kplay-debug-x' }, { force: false }), { PATH });
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'not running');
      assert.equal(readFileSync(log, 'utf8'), active ? 'is-active --quiet kplay-debug-x\nstop kplay-debug-x\n' : 'is-active --quiet kplay-debug-x\n');
    }
  });
});
