// changed_when, failed_when and the kinds that run on the controller (assert, fail, debug, set_fact),
// through the real engine on local hosts (no root, no sshd: see test/helpers/local-run.ts).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ExitCode } from '../../src/errors.js';
import { pendingUndos } from '../../src/journal/run-store.js';
import { runLocal, tempDir, withMarker } from '../helpers/local-run.js';

const BOUND = { timeout: 30_000 };

describe('failed_when', () => {
  test('true fails a command that exited 0, keeps its output, and puts the host back', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: load\n    command: echo 9\n    register: load\n    failed_when: (eq load.stdout "9")\n  - name: after\n    command: "true"\n`);
    const ran = await runLocal(dir, pb);
    const end = ran.end('h1', 'load');
    assert.equal(end.status, 'failed');
    assert.equal(end.code, 'E_FAILED_WHEN');
    assert.equal(end.message, 'failed_when: (eq load.stdout "9") is true');
    assert.equal(end.rc, 0);
    assert.equal(end.stdout, '9');
    assert.equal(ran.started('h1', 'after'), false);
    assert.equal(existsSync(`${dir}/m-h1`), false, 'the marker was rolled back');
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
  });

  test('false makes a command that exited 1 succeed, and the host goes on', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: grep\n    command: grep -q nothing /dev/null\n    register: g\n    failed_when: (gt g.rc 1)\n  - name: after\n    command: echo {{g.rc}}\n    register: a\n`);
    const ran = await runLocal(dir, pb);
    assert.equal(ran.end('h1', 'grep').status, 'changed');
    assert.equal(ran.end('h1', 'grep').rc, 1);
    assert.equal(ran.end('h1', 'after').stdout, '1');
    assert.equal(ran.summary.exitCode, ExitCode.ok);
    assert.ok(existsSync(`${dir}/m-h1`));
  });

  test('a list must hold as a whole (and); `result` names the task\'s own result too', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(
      dir,
      [
        '  - name: both',
        '    command: echo bad',
        '    failed_when: ["(eq result.rc 0)", "(eq result.stdout \\"bad\\")"]',
        '    ignore_errors: true',
        '  - name: one of two',
        '    command: echo good',
        '    failed_when: ["(eq result.rc 0)", "(eq result.stdout \\"bad\\")"]',
        '',
      ].join('\n'),
    );
    const ran = await runLocal(dir, pb);
    assert.equal(ran.end('h1', 'both').code, 'E_FAILED_WHEN');
    assert.equal(ran.end('h1', 'one of two').status, 'changed');
  });

  test('a timeout is not a result: failed_when false does not hide it', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: slow\n    command: sleep 5\n    timeout: 200ms\n    failed_when: false\n`);
    const ran = await runLocal(dir, pb);
    assert.equal(ran.end('h1', 'slow').code, 'E_TIMEOUT');
    assert.equal(existsSync(`${dir}/m-h1`), false);
  });

  test('a condition that cannot be evaluated on the real result fails the task at its place', BOUND, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'v.json'), '{"a": 1}');
    const pb = withMarker(dir, `  - name: read\n    read: {path: ${dir}/v.json, format: json}\n    register: r\n    failed_when: (eq r.value.b.c 1)\n`);
    const ran = await runLocal(dir, pb);
    const end = ran.end('h1', 'read');
    assert.equal(end.code, 'E_TEMPLATE');
    assert.match(end.message ?? '', /playbook\.yaml:10:22: undefined variable "r\.value\.b\.c"$/);
    assert.deepEqual([end.pos?.line, end.pos?.col], [10, 22]);
    assert.equal(existsSync(`${dir}/m-h1`), false);
  });
});

describe('changed_when', () => {
  test('a condition on the result decides changed or ok, and the recap counts it', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(
      dir,
      [
        '  - name: did change',
        '    command: echo updated',
        '    register: u',
        '    changed_when: (eq u.stdout "updated")',
        '  - name: did not',
        '    command: echo same',
        '    changed_when: (eq result.stdout "updated")',
        '  - name: never',
        '    command: echo updated',
        '    changed_when: false',
        '  - name: a read that changed',
        `    read: {path: ${dir}/playbook.yaml, format: lines}`,
        '    changed_when: true',
        '',
      ].join('\n'),
    );
    const ran = await runLocal(dir, pb);
    assert.equal(ran.end('h1', 'did change').status, 'changed');
    assert.equal(ran.end('h1', 'did not').status, 'ok');
    assert.equal(ran.end('h1', 'never').status, 'ok');
    assert.equal(ran.end('h1', 'a read that changed').status, 'changed');
    const hostEnd = ran.events.find((e) => e.type === 'host_end');
    assert.deepEqual(hostEnd?.type === 'host_end' ? [hostEnd.recap.changed, hostEnd.recap.ok] : [], [3, 2]);
  });

  test('a failed task stays failed whatever changed_when says', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: fails\n    command: exit 3\n    changed_when: false\n`);
    const ran = await runLocal(dir, pb);
    assert.equal(ran.end('h1', 'fails').status, 'failed');
    assert.equal(ran.end('h1', 'fails').code, 'E_TASK_FAILED');
  });
});

describe('assert, fail, debug and set_fact', () => {
  test('assert passes with success_msg, fails at the first false condition with fail_msg (E_ASSERT)', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(
      dir,
      [
        '  - name: load',
        '    command: echo 3',
        '    register: load',
        '  - name: fine',
        '    assert:',
        '      that: ["(eq load.rc 0)", "(eq load.stdout \\"3\\")"]',
        '      success_msg: load is {{load.stdout}}',
        '  - name: quiet',
        '    assert: {that: "(eq load.rc 0)", quiet: true}',
        '  - name: default message',
        '    assert: {that: ["(eq load.rc 0)", "(eq load.stdout \\"4\\")"]}',
        '    ignore_errors: true',
        '  - name: too high',
        '    assert: {that: "(eq load.stdout \\"0\\")", fail_msg: "load {{load.stdout}} is too high"}',
        '',
      ].join('\n'),
    );
    const ran = await runLocal(dir, pb);
    assert.equal(ran.end('h1', 'fine').status, 'ok');
    assert.equal(ran.end('h1', 'fine').message, 'load is 3');
    assert.equal(ran.end('h1', 'quiet').message, undefined);
    assert.equal(ran.end('h1', 'default message').message, 'assertion failed: (eq load.stdout "4") is false');
    const end = ran.end('h1', 'too high');
    assert.equal(end.code, 'E_ASSERT');
    assert.equal(end.message, 'load 3 is too high');
    assert.equal(existsSync(`${dir}/m-h1`), false, 'the host was put back');
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
  });

  test('fail fails with its message where its when holds, and is skipped elsewhere', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: stop\n    fail: {msg: "{{host.name}} is not ready"}\n    when: (eq host.name "h2")\n`);
    const ran = await runLocal(dir, pb, { hosts: ['h1', 'h2'] });
    assert.equal(ran.end('h1', 'stop').status, 'skipped');
    const end = ran.end('h2', 'stop');
    assert.equal(end.code, 'E_FAIL');
    assert.equal(end.message, 'h2 is not ready');
    assert.ok(existsSync(`${dir}/m-h1`));
    assert.equal(existsSync(`${dir}/m-h2`), false);
  });

  test('debug shows a message or a value on the host line, and journals nothing', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: pid\n    command: echo 42\n    register: pid\n  - name: say\n    debug: {msg: "pid is {{pid.stdout}}"}\n  - name: show\n    debug: {var: pid.lines}\n`);
    const ran = await runLocal(dir, pb);
    assert.equal(ran.end('h1', 'say').message, 'pid is 42');
    assert.equal(ran.end('h1', 'say').status, 'ok');
    assert.equal(ran.end('h1', 'show').message, 'pid.lines = ["42"]');
    assert.deepEqual(ran.journal.filter((e) => e.task === 'say' || e.task === 'show'), []);
  });

  test('set_fact sets templated values for the later tasks of its host, below -e and above vars', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(
      dir,
      [
        '  - name: load',
        '    command: echo 7',
        '    register: load',
        '  - name: remember',
        '    set_fact: {seen: "{{load.stdout}}", where: "{{host.name}}", limit: 5, tags_: [a, b]}',
        '  - name: use',
        '    command: echo {{seen}} {{where}} {{limit}} {{join tags_ ","}}',
        '    register: use',
        '  - name: decide',
        '    command: "true"',
        '    when: (eq seen "7")',
        '',
      ].join('\n'),
      'vars: {seen: from-vars, limit: 1}\n',
    );
    const ran = await runLocal(dir, pb, { hosts: ['h1', 'h2'] });
    assert.equal(ran.end('h1', 'use').stdout, '7 h1 5 a,b');
    assert.equal(ran.end('h2', 'use').stdout, '7 h2 5 a,b');
    assert.equal(ran.end('h1', 'decide').status, 'changed');
    assert.equal(ran.end('h1', 'remember').status, 'ok');
    assert.equal(pendingUndos(ran.journal).get('h1')?.length, 1, 'only the marker is journaled');
  });

  test('a failed set_fact sets nothing', BOUND, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'v.json'), '{"a": 1}');
    const pb = withMarker(
      dir,
      `  - name: read\n    read: {path: ${dir}/v.json, format: json}\n    register: v\n  - name: remember\n    set_fact: {x: "{{v.value.b}}"}\n    ignore_errors: true\n  - name: use\n    command: echo {{x}}\n    register: use\n`,
      'vars: {x: from-vars}\n',
    );
    const ran = await runLocal(dir, pb);
    assert.equal(ran.end('h1', 'remember').status, 'failed');
    assert.equal(ran.end('h1', 'use').stdout, 'from-vars');
  });
});
