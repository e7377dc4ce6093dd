// The engine without root or sshd: run-time failures end as failed tasks with codes, the host is
// put back, the other hosts go on, and nothing hangs. Hosts are this machine (see local-run.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ExitCode } from '../../src/errors.js';
import { pendingUndos } from '../../src/journal/run-store.js';
import type { HostEndEvent, RunEndEvent } from '../../src/report/events.js';
import { runLocal, tempDir, withMarker } from '../helpers/local-run.js';

function hostEnd(events: { type: string }[], host: string): HostEndEvent | undefined {
  return events.find((e): e is HostEndEvent => e.type === 'host_end' && (e as HostEndEvent).host === host);
}

const BOUND = { timeout: 30_000 };

describe('run-time failures are failed tasks, and the host is put back', () => {
  test('an undefined variable in a template file (the scenario of the issue)', BOUND, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 't.hbs'), 'x = {{host.name}}\n');
    const pb = withMarker(dir, `  - name: render\n    template: {src: t.hbs, dest: "${dir}/out-{{host.name}}"}\n`);
    // Planned with a good template; the run meets a bad one (edited in between).
    const ran = await runLocal(dir, pb, { beforeRun: () => writeFileSync(path.join(dir, 't.hbs'), 'x = {{nope}}\n') });
    const end = ran.end('h1', 'render');
    assert.equal(end.status, 'failed');
    assert.equal(end.code, 'E_TEMPLATE');
    assert.deepEqual(end.pos, { file: path.join(dir, 't.hbs'), line: 1, col: 7 });
    assert.match(end.message ?? '', /t\.hbs:1:7: undefined variable "nope"/);
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.equal(existsSync(`${dir}/m-h1`), false, 'the marker was rolled back');
    assert.equal(existsSync(`${dir}/out-h1`), false);
    assert.equal(ran.summary.state, 'committed');
    assert.equal(existsSync(path.join(dir, 'state', 'h1', 'lock')), false, 'the host is not left locked');
    assert.equal(pendingUndos(ran.journal).size, 0);
    assert.ok([...ran.conns.values()].every((c) => c.closed));
  });

  test('a Jinja-style filter in a template file', BOUND, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 't.hbs'), 'ok\n');
    const pb = withMarker(dir, `  - name: render\n    template: {src: t.hbs, dest: "${dir}/out"}\n`);
    const ran = await runLocal(dir, pb, { beforeRun: () => writeFileSync(path.join(dir, 't.hbs'), "a\nv = {{ x | default('y') }}\n") });
    const end = ran.end('h1', 'render');
    assert.equal(end.code, 'E_TEMPLATE');
    assert.equal(end.pos?.line, 2);
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.equal(existsSync(`${dir}/m-h1`), false);
  });

  test('a read of a folder or of a missing file is an I/O failure', BOUND, async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'folder'));
    for (const target of ['folder', 'missing']) {
      const ran = await runLocal(dir, withMarker(dir, `  - name: read it\n    read: {path: ${dir}/${target}, format: lines}\n`));
      const end = ran.end('h1', 'read it');
      assert.equal(end.status, 'failed');
      assert.equal(end.code, 'E_IO', `${target}: ${end.message}`);
      assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
      assert.equal(existsSync(`${dir}/m-h1`), false);
    }
  });

  test('one host fails, the other hosts go on', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: only h1 fails\n    command: '[ {{host.name}} != h1 ]'\n  - name: after\n    command: touch ${dir}/after-{{host.name}}\n`);
    const ran = await runLocal(dir, pb, { hosts: ['h1', 'h2', 'h3'] });
    assert.equal(ran.end('h1', 'only h1 fails').code, 'E_TASK_FAILED');
    assert.equal(existsSync(`${dir}/m-h1`), false);
    for (const h of ['h2', 'h3']) {
      assert.equal(ran.end(h, 'after').status, 'changed');
      assert.ok(existsSync(`${dir}/m-${h}`));
    }
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.deepEqual(ran.summary.hosts, { h1: 'failed', h2: 'ok', h3: 'ok' });
  });

  test('an until that cannot be evaluated fails its task with its place', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: poll\n    command: echo hi\n    register: r\n    until: (eq r.stdout.nope.deeper 1)\n    retries: 1\n    delay: 0s\n`);
    const ran = await runLocal(dir, pb);
    const end = ran.end('h1', 'poll');
    assert.equal(end.status, 'failed');
    assert.equal(end.code, 'E_TEMPLATE');
    assert.equal(end.pos?.file, path.join(dir, 'playbook.yaml'));
    assert.equal(existsSync(`${dir}/m-h1`), false);
  });

  test('a command or a when that reads a field its registered result lacks fails at its place', BOUND, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'v.json'), '{"a": 1}');
    for (const [name, task] of [
      ['use it', `    command: echo {{v.value.b.c}}`],
      ['decide on it', `    command: "true"\n    when: (eq v.value.b.c 1)`],
    ]) {
      const pb = withMarker(dir, `  - name: read\n    read: {path: ${dir}/v.json, format: json}\n    register: v\n  - name: ${name}\n${task}\n`);
      const ran = await runLocal(dir, pb);
      const end = ran.end('h1', name!);
      assert.equal(end.status, 'failed', name);
      assert.equal(end.code, 'E_TEMPLATE', `${name}: ${end.message}`);
      assert.equal(end.pos?.file, path.join(dir, 'playbook.yaml'));
      assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
      assert.equal(existsSync(`${dir}/m-h1`), false);
    }
  });

  test('until still false after every attempt is E_UNTIL', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: poll\n    command: echo no\n    register: r\n    until: (eq r.stdout "yes")\n    retries: 2\n    delay: 0s\n`);
    const ran = await runLocal(dir, pb);
    const end = ran.end('h1', 'poll');
    assert.equal(end.code, 'E_UNTIL');
    assert.equal(end.attempts, 3);
  });

  test('a journal that cannot be written fails the task before its change', BOUND, async () => {
    const dir = tempDir();
    const pb = withMarker(dir, `  - name: second\n    command: touch ${dir}/second\n    rollback: rm -f ${dir}/second\n`);
    const ran = await runLocal(dir, pb, {
      onConnect: (c) => (c.fault = (cmd) => (cmd.includes('>> "$d/runs/"') && cmd.includes('"task":"second"') ? new Error('No space left on device') : undefined)),
    });
    const end = ran.end('h1', 'second');
    assert.equal(end.code, 'E_JOURNAL');
    assert.match(end.message ?? '', /cannot write the journal.*No space left/);
    assert.equal(existsSync(`${dir}/second`), false, 'the change was not made');
    assert.equal(existsSync(`${dir}/m-h1`), false, 'the earlier change was undone');
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
  });
});

describe('rollbacks', () => {
  test("a rollback that reads its task's own result runs with the real result", BOUND, async () => {
    const dir = tempDir();
    const pb = `name: t\nhosts: all\ntasks:
  - name: make folders
    command: for d in ${dir}/a ${dir}/b; do mkdir -- "$d" && printf '%s\\n' "$d"; done
    register: made
    rollback: printf '%s\\n' {{made.stdout}} | sort -r | while read -r d; do rmdir -- "$d"; done
  - name: fail
    command: "false"
`;
    const ran = await runLocal(dir, pb);
    const undo = ran.events.find((e) => e.type === 'task_end' && e.taskId === '1.undo');
    assert.equal(undo && 'status' in undo ? undo.status : undefined, 'changed', JSON.stringify(undo));
    assert.equal(existsSync(`${dir}/a`) || existsSync(`${dir}/b`), false);
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
  });
});

describe('hosts that are not reached, and runs cut short', () => {
  test('a host that never connected changed nothing, and the run says so', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(dir, withMarker(dir, ''), { hosts: ['h1', 'h2'], unreachable: ['h2'] });
    assert.equal(ran.summary.exitCode, ExitCode.unreachable);
    assert.deepEqual(ran.summary.lost.map((l) => [l.host, l.changesInPlace]), [['h2', false]]);
    assert.equal(ran.summary.state, 'committed', 'not "host lost": nothing of this run is on h2');
    assert.equal(hostEnd(ran.events, 'h2')?.code, 'E_UNREACHABLE');
  });

  test('Ctrl-C in a serial run: hosts of later batches never start and are not reported as ok', BOUND, async () => {
    const dir = tempDir();
    const ac = new AbortController();
    const pb = `name: t\nhosts: all\nserial: 1\ntasks:\n  - name: slow\n    command: sleep 20\n`;
    const ran = await runLocal(dir, pb, {
      hosts: ['h1', 'h2', 'h3'],
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'task_start') setTimeout(() => ac.abort(), 200);
      },
    });
    assert.equal(ran.summary.exitCode, ExitCode.interrupted);
    assert.equal(ran.end('h1', 'slow').code, 'E_INTERRUPTED');
    assert.equal(hostEnd(ran.events, 'h2'), undefined);
    assert.equal(hostEnd(ran.events, 'h3'), undefined);
    const end = ran.events.find((e): e is RunEndEvent => e.type === 'run_end')!;
    assert.deepEqual(end.recap.h2, { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 });
  });

  test('one machine under two inventory names is refused before anything runs', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(dir, withMarker(dir, ''), { hosts: ['n1', 'n2'], sharedState: true });
    assert.equal(ran.summary.exitCode, ExitCode.invalidInput);
    assert.equal(ran.summary.state, 'refused');
    assert.equal(ran.summary.refusals.length, 1);
    assert.match(ran.summary.refusals[0]!, /^n[12] is the same machine as n[12]: .*select only one of them/);
    assert.equal(ran.events.some((e) => e.type === 'task_start'), false);
    assert.equal(existsSync(path.join(dir, 'state', 'shared', 'lock')), false, 'the lock is given back');
  });

  test('a run_once leader that stops early does not leave its followers waiting', BOUND, async () => {
    const dir = tempDir();
    const pb = `name: t\nhosts: all\ntasks:
  - name: leader fails
    command: '[ {{host.name}} != h1 ]'
  - name: once
    command: echo once
    run_once: true
`;
    const ran = await runLocal(dir, pb, { hosts: ['h1', 'h2'] });
    assert.equal(ran.end('h2', 'once').code, 'E_RUN_ONCE');
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
  });
});
