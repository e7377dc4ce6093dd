// The dlv and tunnel kinds with real Go and Delve (Debian's golang-go and delve) on a lab host:
// launch a debug build under Delve, reach Delve through kplay's tunnel, and stop it on rollback.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/net.js';
import { runPlaybook } from '../helpers/run.js';
import { processesMatching } from '../support/processes.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const toolsMissing = sshLabUnavailable() ?? (existsSync('/usr/bin/go') && existsSync('/usr/bin/dlv') ? undefined : 'needs golang-go and delve (scripts/install-test-deps.sh)');


/** One JSON-RPC call to Delve; resolves with the parsed reply. */
function rpc(port: number, method: string): Promise<{ result?: Record<string, unknown>; error?: unknown }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(`${JSON.stringify({ method, params: [{}], id: 1 })}\n`));
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        sock.destroy();
        resolve(JSON.parse(buf.slice(0, nl)));
      }
    });
    sock.on('error', reject);
    setTimeout(() => reject(new Error('no answer from Delve')), 5000);
  });
}

const running = processesMatching;

describe('dlv and tunnel with real Delve', { skip: toolsMissing }, () => {
  let lab: SshLab;
  let dir: string;
  let bin: string;
  before(async () => {
    lab = await startSshLab({ hosts: 1 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-dlv-'));
    const src = path.join(dir, 'src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'go.mod'), 'module example.com/fakecomponent\n\ngo 1.19\n');
    writeFileSync(
      path.join(src, 'main.go'),
      'package main\n\nimport (\n\t"flag"\n\t"fmt"\n\t"net/http"\n)\n\nfunc main() {\n\tport := flag.Int("port", 0, "")\n\tflag.Parse()\n\thttp.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })\n\t_ = http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *port), nil)\n}\n',
    );
    bin = path.join(dir, `fakecomponent-${process.pid}`);
    execFileSync('go', ['build', '-gcflags=all=-N -l', '-o', bin, '.'], {
      cwd: src,
      env: { ...process.env, GOCACHE: path.join(dir, 'gocache'), GOPATH: path.join(dir, 'gopath'), GOFLAGS: '-mod=mod', GOPROXY: 'off' },
      stdio: 'pipe',
    });
  });
  after(async () => lab?.close());

  test('Delve is launched detached, answers through the tunnel, and is stopped when the hold ends', async () => {
    const [dlvPort, localPort, appPort] = await Promise.all([freePort(), freePort(), freePort()]);
    let answered: Record<string, unknown> | undefined;
    const pending = runPlaybook(
      dir,
      lab.inventory(),
      `name: debug
hosts: all
tasks:
  - name: Launch under Delve
    dlv: {binary: ${bin}, args: ["--port", "${appPort}"], listen: "127.0.0.1:${dlvPort}", continue: true, log: ${dir}/dlv.log}
    register: d
  - name: Forward Delve
    tunnel: {remote_port: ${dlvPort}, local_port: ${localPort}}
  - name: Debug
    hold: {timeout: 4s}
`,
    );
    // While the run holds, a Delve client on the controller talks to Delve through the tunnel.
    for (let i = 0; i < 60 && !answered; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answered = await rpc(localPort, 'RPCServer.GetVersion').then((r) => r.result, () => undefined);
    }
    assert.ok(answered, 'Delve answered through the tunnel');
    assert.match(String(answered.DelveVersion), /\d+\.\d+/);
    assert.ok(running(bin), 'the program runs under Delve during the hold');
    const r = await pending;
    assert.equal(r.summary.exitCode, 0);
    assert.equal(r.summary.state, 'rolled_back');
    assert.match(r.end('h1', 'Launch under Delve').message!, /answers on 127\.0\.0\.1/);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(running(bin), '', 'no dlv and no program left after the rollback');
  });

  test("flags are Delve's own options, before the program's arguments: --check-go-version=false is accepted by the real dlv", async () => {
    const [dlvPort, appPort] = await Promise.all([freePort(), freePort()]);
    let seen = '';
    const pending = runPlaybook(
      dir,
      lab.inventory(),
      `name: debug
hosts: all
tasks:
  - name: Launch under Delve
    dlv: {binary: ${bin}, flags: ["--check-go-version=false"], args: ["--port", "${appPort}"], listen: "127.0.0.1:${dlvPort}", continue: true, log: ${dir}/dlv-flags.log}
  - name: Debug
    hold: {timeout: 3s}
`,
    );
    for (let i = 0; i < 60 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = running(`dlv exec ${bin}`);
    }
    assert.match(seen, new RegExp(`dlv exec ${bin} --headless .*--continue --check-go-version=false -- --port ${appPort}`));
    const r = await pending;
    assert.equal(r.summary.exitCode, 0, JSON.stringify(r.end('h1', 'Launch under Delve')));
    assert.match(r.end('h1', 'Launch under Delve').message!, /answers on 127\.0\.0\.1/);
  });

  test('with a sudo user, a root Delve is reached through a tunnel made by root, and refuses the login user', async () => {
    const [dlvPort, plainPort, rootPort, appPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    let answered: Record<string, unknown> | undefined;
    const pending = runPlaybook(
      dir,
      lab.inventory({ user: lab.users.sudoer }),
      `name: debug as sudoer
hosts: all
become: true
tasks:
  - name: Launch under Delve
    dlv: {binary: ${bin}, args: ["--port", "${appPort}"], listen: "127.0.0.1:${dlvPort}", continue: true, log: ${dir}/dlv-sudo.log}
  - name: Forward as the login user
    tunnel: {remote_port: ${dlvPort}, local_port: ${plainPort}}
    become: false
  - name: Forward as root
    tunnel: {remote_port: ${dlvPort}, local_port: ${rootPort}}
  - name: Debug
    hold: {timeout: 5s}
`,
    );
    for (let i = 0; i < 80 && !answered; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answered = await rpc(rootPort, 'RPCServer.GetVersion').then((r) => r.result, () => undefined);
    }
    assert.ok(answered, 'Delve answered through the tunnel made by root');
    // Delve's same-user check closes the login user's connection without an answer.
    await assert.rejects(rpc(plainPort, 'RPCServer.GetVersion'));
    const r = await pending;
    assert.equal(r.summary.exitCode, 0);
    assert.equal(r.end('h1', 'Launch under Delve').status, 'changed');
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(running(bin), '', 'no dlv and no program left after the rollback');
  });

  test('a taken Delve port refuses the run before anything starts; a launch that fails later fails the task and leaves nothing', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const playbook = `name: taken\nhosts: all\ntasks:\n  - name: Mark\n    command: touch ${dir}/marker-taken\n  - name: Launch\n    dlv: {binary: ${bin}, listen: "127.0.0.1:${port}", log: ${dir}/taken.log}\n`;
      const refused = await runPlaybook(dir, lab.inventory(), playbook);
      assert.equal(refused.summary.exitCode, 4);
      assert.match(refused.summary.refusals.join('\n'), new RegExp(`port ${port} is already in use on the host`));
      assert.equal(existsSync(`${dir}/marker-taken`), false, 'nothing ran');
      // A launch that fails once running (Delve cannot start this "program") is a failed task.
      writeFileSync(`${dir}/not-a-program`, 'just text\n', { mode: 0o755 });
      const free = await freePort();
      const r = await runPlaybook(dir, lab.inventory(), `name: bad\nhosts: all\ntasks:\n  - name: Launch\n    dlv: {binary: ${dir}/not-a-program, listen: "127.0.0.1:${free}", log: ${dir}/bad.log}\n`);
      const e = r.end('h1', 'Launch');
      assert.equal(e.status, 'failed');
      assert.match(e.message!, /dlv exited before answering/);
      assert.equal(r.summary.exitCode, 2);
      assert.equal(running(`--listen=127.0.0.1:${free}`), '');
    } finally {
      taken.close();
    }
  });
});
