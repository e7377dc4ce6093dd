// `kplay run` as a user types it, against real sshd hosts: NDJSON events, plain output, exit codes.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kplay as runKplay } from '../helpers/cli.js';
import { LAB_ENV, sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

describe('kplay run on real hosts', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 3 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-cli-run-'));
  });
  after(async () => lab?.close());

  const kplay = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runKplay(args, { cwd: dir, env: { SSH_AUTH_SOCK: '', HOME: dir, KPLAY_STATE_DIR: path.join(dir, 'state'), ...env } });

  const PLAYBOOK = `name: Events
hosts: all
tasks:
  - name: hello
    command: echo hello {{host.name}}
  - name: skip on h1
    when: (eq host.name "h1")
    command: echo only-h1
  - name: fail on h2
    command: echo "bad {{host.name}}" >&2; test {{host.name}} != h2
`;

  test('--output json prints NDJSON events, checked field by field', () => {
    writeFileSync(path.join(dir, 'pb.yaml'), PLAYBOOK);
    const inv = lab.inventory({ hosts: ['h1', 'h2'] });
    const r = kplay(['run', 'pb.yaml', '-i', inv, '-o', 'json']);
    assert.equal(r.code, 2, r.err);
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
    for (const e of events) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const start = events[0];
    assert.equal(start.type, 'run_start');
    assert.equal(start.playbook, 'Events');
    assert.equal(start.file, 'pb.yaml');
    assert.deepEqual(start.hosts, ['h1', 'h2']);
    assert.match(start.runId, /^\d{8}T\d{6}-[0-9a-f]{6}$/);

    const of = (type: string, host?: string, name?: string) =>
      events.filter((e) => e.type === type && (host === undefined || e.host === host) && (name === undefined || e.name === name));
    assert.deepEqual(of('host_start').map((e) => [e.host, e.address]).sort(), [['h1', '127.0.0.2'], ['h2', '127.0.0.3']]);

    const ts = of('task_start', 'h1', 'hello')[0];
    assert.deepEqual({ ...ts, time: undefined }, { type: 'task_start', host: 'h1', taskId: '1', name: 'hello', kind: 'command', preview: ['$ echo hello h1'], time: undefined });

    const hello = of('task_end', 'h2', 'hello')[0];
    assert.equal(hello.taskId, '1');
    assert.equal(hello.kind, 'command');
    assert.equal(hello.status, 'changed');
    assert.equal(hello.rc, 0);
    assert.equal(hello.stdout, 'hello h2');
    assert.equal(hello.stderr, '');
    assert.equal(hello.attempts, 1);
    assert.equal(typeof hello.durationMs, 'number');

    const skipped = of('task_end', 'h2', 'skip on h1')[0];
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.message, 'when: (eq host.name "h1") is false');
    assert.equal(of('task_end', 'h1', 'skip on h1')[0].stdout, 'only-h1');

    const failed = of('task_end', 'h2', 'fail on h2')[0];
    assert.equal(failed.status, 'failed');
    assert.equal(failed.rc, 1);
    assert.equal(failed.stderr, 'bad h2');
    assert.equal(failed.message, 'exit status 1');

    const h2end = of('host_end', 'h2')[0];
    assert.equal(h2end.status, 'failed');
    assert.deepEqual(h2end.recap, { ok: 0, changed: 1, failed: 1, skipped: 1, unreachable: 0 });
    assert.deepEqual(of('host_end', 'h1')[0].recap, { ok: 0, changed: 3, failed: 0, skipped: 0, unreachable: 0 });

    const end = events[events.length - 1];
    assert.equal(end.type, 'run_end');
    assert.equal(end.exitCode, 2);
    assert.equal(end.runId, start.runId);
    assert.deepEqual(Object.keys(end.recap).sort(), ['h1', 'h2']);
    assert.equal(r.err, '', 'nothing but events, and nothing on stderr');
  });

  test('without a terminal: plain lines, no escape codes, a recap, exit 0', () => {
    writeFileSync(path.join(dir, 'ok.yaml'), 'name: Ok\nhosts: all\ntasks:\n  - name: hello\n    command: echo hi\n');
    const r = kplay(['run', 'ok.yaml', '-i', lab.inventory()]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out + r.err, /\x1b/);
    for (const h of ['h1', 'h2', 'h3']) assert.match(r.out, new RegExp(`\\b${h}\\b.*hello`));
    assert.match(r.out, /recap/i);
  });

  test('an unreachable host: exit 3, and kplay says the run changed nothing there', () => {
    writeFileSync(path.join(dir, 'u.yaml'), 'name: U\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    const r = kplay(['run', 'u.yaml', '-i', lab.inventory({ hosts: ['h1'], defaults: { port: 1 } })]);
    assert.equal(r.code, 3, r.out + r.err);
    assert.match(r.out + r.err, /connection refused/);
    assert.match(r.err, /h1 was unreachable; this run changed nothing there/);
    assert.doesNotMatch(r.err, /lost with changes/);
  });

  test('a read of a folder over SFTP fails that task with E_IO; the host is put back and kplay exits', () => {
    const inv = lab.inventory({ hosts: ['h1', 'h2'], hostSettings: { h1: { vars: { target: '/etc' } }, h2: { vars: { target: '/etc/hostname' } } } });
    const marker = path.join(dir, 'marker');
    writeFileSync(
      path.join(dir, 'r.yaml'),
      `name: R\nhosts: all\ntasks:
  - name: marker
    command: touch ${marker}-{{host.name}}
    rollback: rm -f ${marker}-{{host.name}}
  - name: read a folder
    read: {path: "{{target}}", format: lines}
`,
    );
    const started = Date.now();
    const r = kplay(['run', 'r.yaml', '-i', inv, '-o', 'json']);
    assert.ok(Date.now() - started < 30_000, 'kplay ended by itself');
    assert.equal(r.code, 2, r.err + r.out);
    assert.doesNotMatch(r.err, /internal error/);
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
    const end = events.find((e) => e.type === 'task_end' && e.host === 'h1' && e.name === 'read a folder');
    assert.equal(end.status, 'failed');
    assert.equal(end.code, 'E_IO');
    assert.equal(events.find((e) => e.type === 'task_end' && e.host === 'h2' && e.name === 'read a folder').status, 'ok');
    assert.equal(existsSync(`${marker}-h1`), false, 'h1 was put back');
    assert.ok(existsSync(`${marker}-h2`), 'h2 went on');
    const runs = kplay(['runs', '-o', 'json']);
    const run = JSON.parse(runs.out).find((x: { runId: string }) => x.runId === events[0].runId);
    assert.equal(run.state, 'committed');
    // Not left locked: the same playbook runs again.
    assert.equal(kplay(['run', 'r.yaml', '-i', inv, '--limit', 'h2']).code, 0);
  });

  test('a plan saved with -o json runs with --plan; once a file it was built from changes, it is refused and nothing is connected', () => {
    const marker = path.join(dir, 'saved-marker');
    writeFileSync(path.join(dir, 'saved.yaml'), 'name: Saved\nhosts: all\ntasks:\n  - name: mark\n    command: touch {{marker}}-{{host.name}}\n');
    const inv = lab.inventory({ hosts: ['h1', 'h2'] });
    const saved = kplay(['plan', 'saved.yaml', '-i', inv, '-e', `marker=${marker}`, '-o', 'json']);
    assert.equal(saved.code, 0, saved.err);
    writeFileSync(path.join(dir, 'saved-plan.json'), saved.out);

    const r = kplay(['run', '--plan', 'saved-plan.json', '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(events.filter((e) => e.type === 'task_end').map((e) => [e.host, e.status]).sort(), [['h1', 'changed'], ['h2', 'changed']]);
    for (const h of ['h1', 'h2']) assert.ok(existsSync(`${marker}-${h}`), `${h} ran the saved plan`);

    // The playbook is changed after the plan was saved: the saved plan no longer says what would run.
    appendFileSync(path.join(dir, 'saved.yaml'), '  - name: more\n    command: touch {{marker}}-more-{{host.name}}\n');
    const runsBefore = readdirSync(path.join(dir, 'state', 'runs')).length;
    const refused = kplay(['run', '--plan', 'saved-plan.json']);
    assert.equal(refused.code, 4, refused.err);
    assert.match(refused.err, /error: saved\.yaml changed since the plan was made \[E_PLAN\]/);
    assert.equal(readdirSync(path.join(dir, 'state', 'runs')).length, runsBefore, 'no run was started');
    for (const h of ['h1', 'h2']) assert.equal(existsSync(`${marker}-more-${h}`), false);
  });

  test('secrets named in the inventory never appear in the output, even when a task prints them', () => {
    const inv = lab.inventory({ hosts: ['h1'], defaults: { passwordEnv: LAB_ENV.password } });
    // The task prints the password (passed as an -e value): the events must mask it.
    writeFileSync(path.join(dir, 's.yaml'), 'name: S\nhosts: all\ntasks:\n  - name: leak\n    command: echo {{pw}}\n');
    for (const output of ['json', 'text']) {
      const r = kplay(['run', 's.yaml', '-i', inv, '-o', output, '-v', '-e', `pw=${lab.users.sudoerPassword.password}`], lab.env);
      assert.equal(r.code, 0, r.err);
      assert.ok(!(r.out + r.err).includes(lab.users.sudoerPassword.password), `${output}: the password is masked`);
      assert.match(r.out + r.err, /\*{8}/);
    }
  });
});
