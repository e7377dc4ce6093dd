// Runs playbooks over SSH against real OpenSSH servers started by the suite (test/support/sshd-lab.ts),
// one per loopback address, and checks what happened on the hosts and what kplay reported.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HostEndEvent } from '../../src/report/events.js';
import { runEnv, runPlaybook } from '../helpers/run.js';
import { processesMatching } from '../support/processes.js';
import { LAB_ENV, sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const skip = sshLabUnavailable();

describe('running playbooks over SSH', { skip }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 6 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-run-'));
  });
  after(async () => lab?.close());

  const five = () => lab.inventory({ hosts: ['h1', 'h2', 'h3', 'h4', 'h5'] });

  test('5 hosts with mixed results: each host runs its own tasks in order; failures stop only their host', async () => {
    const r = await runPlaybook(
      dir,
      five(),
      `name: mixed
hosts: all
tasks:
  - name: who
    command: echo "$(hostname -I 2>/dev/null | cut -d' ' -f1) {{host.name}}"
    register: who
  - name: fail on h2 and h4
    command: test {{host.name}} != h2 && test {{host.name}} != h4
  - name: after
    command: echo after-{{host.name}}
`,
    );
    assert.equal(r.summary.exitCode, 2);
    assert.deepEqual(r.summary.hosts, { h1: 'ok', h2: 'failed', h3: 'ok', h4: 'failed', h5: 'ok' });
    for (const h of ['h1', 'h3', 'h5']) {
      assert.equal(r.end(h, 'after').status, 'changed');
      assert.equal(r.end(h, 'after').stdout, `after-${h}`);
      assert.deepEqual(r.summary.recap[h], { ok: 0, changed: 3, failed: 0, skipped: 0, unreachable: 0 });
    }
    for (const h of ['h2', 'h4']) {
      const e = r.end(h, 'fail on h2 and h4');
      assert.equal(e.status, 'failed');
      assert.equal(e.rc, 1);
      assert.equal(e.message, 'exit status 1');
      assert.ok(!r.events.some((x) => x.type === 'task_start' && x.host === h && x.name === 'after'), `${h} stopped after its failure`);
    }
    assert.match(r.end('h3', 'who').stdout!, / h3$/);
  });

  test('an unreachable host is reported as such, and the others run', async () => {
    const inv = lab.inventory({ hosts: ['h1', 'h2'], hostSettings: { h2: { port: 1 } } });
    const r = await runPlaybook(dir, inv, 'name: u\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(r.summary.exitCode, 3);
    assert.equal(r.summary.hosts.h1, 'ok');
    assert.equal(r.summary.hosts.h2, 'unreachable');
    const end = r.events.find((e): e is HostEndEvent => e.type === 'host_end' && e.host === 'h2')!;
    assert.match(end.message!, /connection refused/);
    assert.ok(end.hint);
    assert.deepEqual(r.summary.recap.h2, { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 1 });
  });

  test('a host whose key does not match known_hosts is refused, showing both fingerprints; nothing runs there', async () => {
    const known = path.join(dir, 'known_hosts_wrong');
    // h1's address with h2's key on file: what a man in the middle would look like.
    writeFileSync(known, `[${lab.host('h1').address}]:${lab.host('h1').port} ${lab.host('h2').hostKeyLine}\n`);
    const marker = `/tmp/kplay-mitm-${process.pid}`;
    const inv = lab.inventory({ hosts: ['h1'], defaults: { knownHosts: known } });
    const r = await runPlaybook(dir, inv, `name: m\nhosts: all\ntasks:\n  - name: t\n    command: touch ${marker}\n`);
    assert.equal(r.summary.hosts.h1, 'unreachable');
    const end = r.events.find((e): e is HostEndEvent => e.type === 'host_end')!;
    assert.ok(end.message!.includes(lab.host('h2').fingerprint), 'expected fingerprint shown');
    assert.ok(end.message!.includes(lab.host('h1').fingerprint), 'offered fingerprint shown');
    assert.ok(!r.events.some((e) => e.type === 'task_start'));
    assert.equal(existsSync(marker), false);
  });

  test('an unknown host is refused by default and recorded with accept-new; a recorded key is then trusted', async () => {
    const known = path.join(dir, 'known_hosts_new');
    writeFileSync(known, '');
    const strict = await runPlaybook(dir, lab.inventory({ hosts: ['h3'], defaults: { knownHosts: known } }), 'name: s\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(strict.summary.hosts.h3, 'unreachable');
    assert.equal(readFileSync(known, 'utf8'), '');

    const tofu = await runPlaybook(dir, lab.inventory({ hosts: ['h3'], defaults: { knownHosts: known, hostKeyChecking: 'accept-new' } }), 'name: a\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(tofu.summary.hosts.h3, 'ok');
    const recorded = readFileSync(known, 'utf8').trim().split('\n');
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0], `[${lab.host('h3').address}]:${lab.host('h3').port} ${lab.host('h3').hostKeyLine}`);

    const again = await runPlaybook(dir, lab.inventory({ hosts: ['h3'], defaults: { knownHosts: known } }), 'name: b\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(again.summary.hosts.h3, 'ok');
  });

  test('hashed known_hosts entries are honoured', async () => {
    const r = await runPlaybook(dir, lab.inventory({ hosts: ['h1'], defaults: { knownHosts: lab.knownHostsHashed() } }), 'name: h\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(r.summary.hosts.h1, 'ok');
  });

  test('a jump host: the target is reached through another sshd, with both host keys verified', async () => {
    const inv = lab.inventory({ hosts: ['h5', 'h6'], hostSettings: { h6: { jump: 'h5' } } });
    const before = readFileSync(lab.host('h5').logPath, 'utf8').split('Accepted publickey').length;
    const r = await runPlaybook(dir, inv, 'name: j\nhosts: h6\ntasks:\n  - name: t\n    command: echo via-jump\n');
    assert.equal(r.summary.hosts.h6, 'ok');
    assert.equal(r.end('h6', 't').stdout, 'via-jump');
    // The play does not touch h5, so a new login there is the jump.
    const afterLogins = readFileSync(lab.host('h5').logPath, 'utf8').split('Accepted publickey').length;
    assert.equal(afterLogins, before + 1);

    const known = path.join(dir, 'known_hosts_jump');
    writeFileSync(known, readFileSync(lab.knownHosts, 'utf8').split('\n').filter((l) => !l.includes(`[${lab.host('h5').address}]`)).join('\n'));
    const refused = await runPlaybook(dir, lab.inventory({ hosts: ['h5', 'h6'], defaults: { knownHosts: known }, hostSettings: { h6: { jump: 'h5' } } }), 'name: j\nhosts: h6\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(refused.summary.hosts.h6, 'unreachable');
    const end = refused.events.find((e): e is HostEndEvent => e.type === 'host_end')!;
    assert.match(end.message!, /jump host for h6/);
  });

  test('become: sudo without a password, with a password from the environment, and a clear refusal without one', async () => {
    const sudoer = lab.inventory({ hosts: ['h1'], user: lab.users.sudoer });
    const pb = 'name: b\nhosts: all\ntasks:\n  - name: me\n    command: id -un\n  - name: root\n    become: true\n    command: id -un\n';
    const r = await runPlaybook(dir, sudoer, pb);
    assert.equal(r.end('h1', 'me').stdout, lab.users.sudoer);
    assert.equal(r.end('h1', 'root').stdout, 'root');

    const pwuser = lab.users.sudoerPassword.name;
    const withPw = lab.inventory({ hosts: ['h2'], user: pwuser, defaults: { becomePasswordEnv: LAB_ENV.password } });
    const r2 = await runPlaybook(dir, withPw, pb, { env: lab.env });
    assert.equal(r2.end('h2', 'me').stdout, pwuser);
    assert.equal(r2.end('h2', 'root').stdout, 'root');
    assert.ok(!JSON.stringify(r2.events).includes(lab.users.sudoerPassword.password), 'the password never appears in events');

    const noPw = lab.inventory({ hosts: ['h2'], user: pwuser });
    const r3 = await runPlaybook(dir, noPw, pb);
    assert.equal(r3.summary.hosts.h2, 'unreachable');
    const end = r3.events.find((e): e is HostEndEvent => e.type === 'host_end')!;
    assert.match(end.message!, /sudo refused/);
    assert.match(end.hint!, /becomePasswordEnv/);
  });

  test('a timed-out task is killed on the host with every process it started', async () => {
    const tag = `kplay-timeout-${process.pid}-${Date.now()}`;
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h4'] }),
      `name: t\nhosts: all\ntasks:\n  - name: slow\n    command: (sleep 300; echo ${tag}) & sleep 301 # ${tag}\n    timeout: 1s\n`,
    );
    const e = r.end('h4', 'slow');
    assert.equal(e.status, 'failed');
    assert.equal(e.timedOut, true);
    assert.match(e.message!, /timed out after 1s/);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(processesMatching(tag), '', 'no process of the task is left');
  });

  test('10 MB of output arrives whole; UTF-8 split across chunks stays intact', async () => {
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1'] }),
      `name: big
hosts: all
tasks:
  - name: big
    command: head -c 10485760 /dev/zero | tr '\\0' x
  - name: utf8
    command: i=0; while [ $i -lt 20000 ]; do printf 'é✓😀'; i=$((i+1)); done
`,
    );
    const big = r.end('h1', 'big');
    assert.equal(big.stdout!.length, 10 * 1024 * 1024);
    assert.ok(/^x+$/.test(big.stdout!));
    const u = r.end('h1', 'utf8').stdout!;
    assert.equal(u, 'é✓😀'.repeat(20000));
    assert.ok(!u.includes('\uFFFD'));
  });

  test('retries until a condition holds; when skips; ignore_errors goes on', async () => {
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h2'] }),
      `name: r
hosts: all
vars: {mode: static-pod}
tasks:
  - name: count
    command: n=$(cat /tmp/kplay-count-$PPID 2>/dev/null || echo 0); echo $((n+1)) | tee /tmp/kplay-count-r
    register: c
  - name: reset
    command: rm -f /tmp/kplay-until-n
  - name: flaky
    command: n=$(cat /tmp/kplay-until-n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/kplay-until-n; echo $n
    register: f
    until: (eq result.stdout "3")
    retries: 5
    delay: 100ms
  - name: never enough
    command: echo 1
    until: (eq result.stdout "2")
    retries: 2
    delay: 50ms
    ignore_errors: true
  - name: systemd only
    when: (eq mode "systemd")
    command: "false"
  - name: only if flaky said 3
    when: (eq f.stdout "3")
    command: echo yes
`,
    );
    const flaky = r.end('h2', 'flaky');
    assert.equal(flaky.status, 'changed');
    assert.equal(flaky.attempts, 3);
    assert.equal(flaky.stdout, '3');
    const never = r.end('h2', 'never enough');
    assert.equal(never.status, 'failed');
    assert.equal(never.attempts, 3);
    assert.equal(never.ignoredError, true);
    assert.match(never.message!, /after 3 attempts/);
    assert.equal(r.end('h2', 'systemd only').status, 'skipped');
    assert.equal(r.end('h2', 'only if flaky said 3').stdout, 'yes');
    assert.equal(r.summary.hosts.h2, 'ok');
  });

  test('copy skips an identical file; template renders with host variables; read parses; fetch downloads', async () => {
    const src = path.join(dir, 'payload.txt');
    writeFileSync(src, 'payload\n');
    writeFileSync(path.join(dir, 'conf.hbs'), 'host={{host.name}}\nport={{port}}\n');
    const dest = `/tmp/kplay-copy-${process.pid}`;
    const pb = `name: c
hosts: all
vars: {port: 6443}
tasks:
  - name: copy
    copy: {src: payload.txt, dest: ${dest}.txt, mode: "0640"}
  - name: copy again
    copy: {src: payload.txt, dest: ${dest}.txt, mode: "0640"}
  - name: template
    template: {src: conf.hbs, dest: ${dest}.env}
  - name: read
    read: {path: ${dest}.env, format: env}
    register: conf
  - name: use
    command: echo {{conf.value.host}}:{{conf.value.port}}
  - name: fetch
    fetch: {src: ${dest}.txt, dest: "${dir}/fetched-{{host.name}}.txt"}
`;
    const r = await runPlaybook(dir, lab.inventory({ hosts: ['h3'] }), pb);
    assert.equal(r.end('h3', 'copy').status, 'changed');
    assert.equal(r.end('h3', 'copy again').status, 'ok');
    assert.equal(r.end('h3', 'copy again').message, 'already up to date');
    assert.equal(readFileSync(`${dest}.txt`, 'utf8'), 'payload\n');
    assert.equal((execFileSync('stat', ['-c', '%a', `${dest}.txt`], { encoding: 'utf8' }) as string).trim(), '640');
    assert.equal(readFileSync(`${dest}.env`, 'utf8'), 'host=h3\nport=6443\n');
    assert.equal(r.end('h3', 'use').stdout, 'h3:6443');
    assert.equal(readFileSync(path.join(dir, 'fetched-h3.txt'), 'utf8'), 'payload\n');
  });

  test('wait_for a port, a path and a process on the host', async () => {
    const port = lab.host('h1').port;
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1'] }),
      `name: w
hosts: all
tasks:
  - name: sshd port
    wait_for: {port: ${port}, host: ${lab.host('h1').address}, timeout: 5s}
  - name: closed port
    wait_for: {port: 1, state: closed, timeout: 5s}
  - name: start a process
    command: sh -c 'sleep 2; true' kplay-waitfor-proc-${process.pid} >/dev/null 2>&1 &
  - name: process present
    wait_for: {process: kplay-waitfor-proc-${process.pid}, timeout: 5s, interval: 200ms}
  - name: process gone
    wait_for: {process: kplay-waitfor-proc-${process.pid}, state: absent, timeout: 10s, interval: 200ms}
  - name: missing path
    wait_for: {path: /nonexistent-${process.pid}, timeout: 1s, interval: 200ms}
`,
    );
    for (const t of ['sshd port', 'closed port', 'process present', 'process gone']) assert.equal(r.end('h1', t).status, 'ok', `${t}: ${r.end('h1', t).message}`);
    const missing = r.end('h1', 'missing path');
    assert.equal(missing.status, 'failed');
    assert.match(missing.message!, /timed out after 1s waiting until path \/nonexistent/);
  });

  test('local tasks run on the controller; run_once runs on one host and shares its result', async () => {
    const marker = path.join(dir, `local-${process.pid}`);
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1', 'h2', 'h3'] }),
      `name: l
hosts: all
tasks:
  - name: on the controller
    local: true
    command: echo {{host.name}} >> ${marker}
  - name: once
    run_once: true
    command: echo ran-on-{{host.name}}
    register: once
  - name: shared
    command: echo {{once.stdout}}
`,
    );
    assert.deepEqual(readFileSync(marker, 'utf8').trim().split('\n').sort(), ['h1', 'h2', 'h3']);
    assert.equal(r.end('h1', 'once').status, 'changed');
    assert.equal(r.end('h2', 'once').status, 'skipped');
    for (const h of ['h1', 'h2', 'h3']) assert.equal(r.end(h, 'shared').stdout, 'ran-on-h1');
  });

  test('a key with a passphrase from the environment, and a password login', async () => {
    const withPassphrase = lab.inventory({ hosts: ['h1'], defaults: { identityFile: lab.clientKeyWithPassphrase, passphraseEnv: LAB_ENV.passphrase } });
    const r = await runPlaybook(dir, withPassphrase, 'name: p\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n', { env: lab.env });
    assert.equal(r.summary.hosts.h1, 'ok');

    const withPassword = lab.inventory({ hosts: ['h2'], user: lab.users.sudoerPassword.name, defaults: { identityFile: undefined, passwordEnv: LAB_ENV.password } });
    const r2 = await runPlaybook(dir, withPassword, 'name: p\nhosts: all\ntasks:\n  - name: t\n    command: id -un\n', { env: { ...lab.env, HOME: dir } });
    assert.equal(r2.end('h2', 't').stdout, lab.users.sudoerPassword.name);
  });

  test('a connection that drops mid-run marks the host unreachable without crashing kplay', async () => {
    const inv = lab.inventory({ hosts: ['h5', 'h6'] });
    const started = path.join(dir, 'started-h6');
    const pending = runPlaybook(dir, inv, `name: d\nhosts: all\ntasks:\n  - name: wait\n    command: touch ${dir}/started-{{host.name}}; sleep 5\n  - name: after\n    command: echo after\n`);
    // Dropped while its task runs, not while it connects (which takes longer on a busy machine).
    while (!existsSync(started)) await new Promise((res) => setTimeout(res, 100));
    await lab.host('h6').stop({ sessions: true });
    const r = await pending;
    await lab.host('h6').start();
    assert.equal(r.summary.hosts.h5, 'ok');
    assert.equal(r.summary.hosts.h6, 'unreachable');
    assert.equal(r.summary.exitCode, 3);
    // The lost host stays locked by this run until it is rolled back.
    const blocked = await runPlaybook(dir, lab.inventory({ hosts: ['h6'] }), 'name: b\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(blocked.summary.exitCode, 4);
    assert.match(blocked.summary.refusals[0]!, /locked by run/);
    const { rollbackRun } = await import('../../src/executor/rollback-run.js');
    const runId = (r.events[0] as { runId: string }).runId;
    const rb = await rollbackRun({ runId, env: runEnv(), sshConfigFile: '/dev/null', reporter: () => ({ onEvent: () => undefined, close: async () => undefined }) });
    assert.equal(rb.exitCode, 0);
    const free = await runPlaybook(dir, lab.inventory({ hosts: ['h6'] }), 'name: f\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(free.summary.exitCode, 0);
  });

  test('a chain of two jump hosts', async () => {
    const inv = lab.inventory({ hosts: ['h4', 'h5', 'h6'], hostSettings: { h6: { jump: ['h4', 'h5'] } } });
    const count = (h: string) => readFileSync(lab.host(h).logPath, 'utf8').split('Accepted publickey').length;
    const [b4, b5] = [count('h4'), count('h5')];
    const r = await runPlaybook(dir, inv, 'name: j\nhosts: h6\ntasks:\n  - name: t\n    command: echo deep\n');
    assert.equal(r.end('h6', 't').stdout, 'deep');
    assert.equal(count('h4'), b4 + 1);
    assert.equal(count('h5'), b5 + 1);
  });

  test('~/.ssh/config supplies HostName, Port, User and IdentityFile for a host the inventory only names', async () => {
    const cfg = path.join(dir, 'ssh_config');
    const h = lab.host('h2');
    writeFileSync(cfg, `Host cfg-alias\n  HostName ${h.address}\n  Port ${h.port}\n  User ${lab.users.sudoer}\n  IdentityFile ${lab.clientKey}\n`);
    const inv = path.join(dir, 'inv-cfg.yaml');
    writeFileSync(inv, `defaults: {knownHosts: ${lab.knownHosts}}\nhosts:\n  cfg-alias: {}\n`);
    const pbFile = path.join(dir, 'cfg.yaml');
    writeFileSync(pbFile, 'name: c\nhosts: all\ntasks:\n  - name: who\n    command: id -un\n');
    const { plan } = await import('../../src/index.js');
    const { executeOverSsh } = await import('../../src/executor/run-playbook.js');
    const events: import('../../src/report/events.js').RunEvent[] = [];
    const summary = await executeOverSsh(plan({ playbook: pbFile, inventory: inv }), {
      env: { ...process.env, SSH_AUTH_SOCK: '', HOME: dir },
      sshConfigFile: cfg,
      reporter: { onEvent: (e) => events.push(e), close: async () => undefined },
    });
    assert.equal(summary.hosts['cfg-alias'], 'ok', JSON.stringify(events.filter((e) => e.type === 'host_end')));
    const who = events.find((e) => e.type === 'task_end') as import('../../src/report/events.js').TaskEndEvent;
    assert.equal(who.stdout, lab.users.sudoer);
  });

  test('ssh-agent is used when SSH_AUTH_SOCK is set and the inventory names no key', async () => {
    const sock = path.join(dir, 'agent.sock');
    const agent = execFileSync('ssh-agent', ['-a', sock, '-s'], { encoding: 'utf8' });
    const pid = /SSH_AGENT_PID=(\d+)/.exec(agent)![1];
    try {
      execFileSync('ssh-add', [lab.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const inv = lab.inventory({ hosts: ['h3'], defaults: { identityFile: undefined } });
      const r = await runPlaybook(dir, inv, 'name: a\nhosts: all\ntasks:\n  - name: t\n    command: echo agent\n', { env: { SSH_AUTH_SOCK: sock, HOME: dir } });
      assert.equal(r.end('h3', 't').stdout, 'agent');
    } finally {
      process.kill(Number(pid));
    }
  });

  test('a task killed by a signal fails naming the signal; a redirected background process does not hold its task open', async () => {
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1'] }),
      `name: s
hosts: all
tasks:
  - name: background
    command: sleep 30 </dev/null >/dev/null 2>&1 &
    timeout: 5s
  - name: killed
    command: kill -KILL $$
    ignore_errors: true
`,
    );
    const bg = r.end('h1', 'background');
    assert.equal(bg.status, 'changed');
    assert.ok(bg.durationMs < 3000, `took ${bg.durationMs} ms`);
    const killed = r.end('h1', 'killed');
    assert.equal(killed.status, 'failed');
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(killed.rc, null);
    assert.equal(killed.message, 'killed by SIGKILL');
  });

  test('tasks share one shell per host, yet none sees or breaks another\'s state', async () => {
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h2'] }),
      `name: iso
hosts: all
tasks:
  - name: meddle
    command: cd /tmp; export KPLAY_LEAK=1; set -e; trap 'echo trapped' EXIT; exit 3
    ignore_errors: true
  - name: look
    command: echo "$(pwd) \${KPLAY_LEAK:-unset}"
    register: look
  - name: exec replaces only the task
    command: exec sh -c 'exit 7'
    ignore_errors: true
  - name: still there
    command: echo alive
`,
    );
    assert.equal(r.end('h2', 'meddle').rc, 3);
    assert.equal(r.end('h2', 'meddle').stdout, 'trapped');
    assert.equal(r.end('h2', 'look').stdout, '/root unset');
    assert.equal(r.end('h2', 'exec replaces only the task').rc, 7);
    assert.equal(r.end('h2', 'still there').stdout, 'alive');
  });

  test('serial: batches run one after another, hosts of a batch together', async () => {
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1', 'h2', 'h3', 'h4'] }),
      'name: s\nhosts: all\nserial: 2\ntasks:\n  - name: t\n    command: sleep 0.3\n',
    );
    const startOf = (h: string) => r.events.findIndex((e) => e.type === 'task_start' && e.host === h);
    const endOf = (h: string) => r.events.findIndex((e) => e.type === 'task_end' && e.host === h);
    assert.ok(Math.max(endOf('h1'), endOf('h2')) < Math.min(startOf('h3'), startOf('h4')), 'the second batch starts after the first ends');
    assert.ok(startOf('h2') < endOf('h1'), 'hosts of a batch overlap');
  });
  test("a long command's latest output line is reported as its progress, at most once a second", async () => {
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1'] }),
      'name: p\nhosts: all\ntasks:\n  - name: Build\n    command: for i in 1 2 3 4 5 6; do echo "step $i"; echo; sleep 0.5; done\n',
    );
    assert.equal(r.summary.exitCode, 0);
    const progress = r.events.filter((e) => e.type === 'task_progress' && e.host === 'h1').map((e) => (e as { message: string }).message);
    assert.ok(progress.length >= 1 && progress.length <= 3, `one progress a second over 3 s: ${JSON.stringify(progress)}`);
    for (const m of progress) assert.match(m, /^step [1-6]$/, "the latest non-empty line");
  });
  test('changed_when: false reports a successful command as ok, and its recap counts no change', async () => {
    const r = await runPlaybook(dir, lab.inventory({ hosts: ['h1'] }), 'name: c\nhosts: all\ntasks:\n  - name: Check\n    changed_when: false\n    command: "true"\n  - name: Change\n    command: "true"\n');
    assert.equal(r.end('h1', 'Check').status, 'ok');
    assert.equal(r.end('h1', 'Change').status, 'changed');
    assert.deepEqual([r.summary.recap.h1!.ok, r.summary.recap.h1!.changed], [1, 1]);
  });
});
