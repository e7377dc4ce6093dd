// `loop:` through the real engine, without root or sshd (hosts are this machine, see local-run.ts):
// one run per item, each item its own journalled change, a rollback that undoes the items newest
// first, the registered `results`, and lists that only run time knows.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ExitCode } from '../../src/errors.js';
import type { RunEvent, TaskEndEvent } from '../../src/report/events.js';
import { runLocal, tempDir } from '../helpers/local-run.js';

const BOUND = { timeout: 30_000 };

function ends(events: RunEvent[]): TaskEndEvent[] {
  return events.filter((e): e is TaskEndEvent => e.type === 'task_end');
}

describe('loop through the engine', () => {
  test('each item runs, is journalled as its own change, and the loop registers results per item', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(
      dir,
      `name: t
hosts: all
vars:
  names: [a, b, c]
tasks:
  - name: write
    command: printf %s {{item}} > ${dir}/f-{{item}}
    rollback: rm -f ${dir}/f-{{item}}
    loop: "{{names}}"
    loop_control: {index_var: i}
    register: w
  - name: summary
    command: printf '%s ' {{w.changed}} {{w.failed}} {{w.results.length}} {{w.results.[1].item}} {{w.results.[1].i}} {{w.results.[2].changed}} {{w.msg}} > ${dir}/summary
`,
      { detach: true },
    );
    assert.equal(ran.summary.exitCode, ExitCode.ok, JSON.stringify(ends(ran.events)));
    for (const n of ['a', 'b', 'c']) assert.equal(readFileSync(`${dir}/f-${n}`, 'utf8'), n);
    assert.equal(readFileSync(`${dir}/summary`, 'utf8'), 'true false 3 b 1 true All items completed ');
    // One start and end per item, named and numbered by item; no event for the loop as a whole.
    assert.deepEqual(
      ends(ran.events).map((e) => [e.taskId, e.name, e.status]),
      [
        ['1[1]', 'write (item=a)', 'changed'],
        ['1[2]', 'write (item=b)', 'changed'],
        ['1[3]', 'write (item=c)', 'changed'],
        ['2', 'summary', 'changed'],
      ],
    );
    const intents = ran.journal.filter((j) => j.phase === 'intent');
    assert.deepEqual(
      intents.map((j) => [j.taskId, j.task]),
      [
        ['1[1]', 'write (item=a)'],
        ['1[2]', 'write (item=b)'],
        ['1[3]', 'write (item=c)'],
      ],
    );
    assert.equal(new Set(intents.map((j) => j.change)).size, 3, 'three changes');
    // The recap counts the loop once, as Ansible does.
    const hostEnd = ran.events.find((e) => e.type === 'host_end');
    assert.equal(hostEnd?.type === 'host_end' && hostEnd.recap.changed, 2);
  });

  test('a failed item stops the loop and the host is rolled back, newest item first', BOUND, async () => {
    const dir = tempDir();
    const log = path.join(dir, 'undo.log');
    const ran = await runLocal(
      dir,
      `name: t
hosts: all
tasks:
  - name: write
    command: test {{item}} != c && touch ${dir}/f-{{item}}
    rollback: rm -f ${dir}/f-{{item}} && echo {{item}} >> ${log}
    loop: [a, b, c, d]
`,
    );
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.deepEqual(
      ends(ran.events)
        .filter((e) => !e.taskId.endsWith('.undo'))
        .map((e) => [e.taskId, e.status]),
      [
        ['1[1]', 'changed'],
        ['1[2]', 'changed'],
        ['1[3]', 'failed'],
      ],
      'd never ran',
    );
    // c failed (recorded as such: nothing of it to undo), then b and a are undone, newest first.
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['b', 'a']);
    assert.equal(existsSync(`${dir}/f-a`) || existsSync(`${dir}/f-b`), false);
    const undos = ends(ran.events).filter((e) => e.taskId.endsWith('.undo'));
    assert.deepEqual(
      undos.map((e) => e.name),
      ['undo: write (item=b)', 'undo: write (item=a)'],
    );
  });

  test('with ignore_errors, every item runs and the loop is failed but ignored', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(
      dir,
      `name: t
hosts: all
tasks:
  - name: check
    command: test {{item}} != b
    loop: [a, b, c]
    ignore_errors: true
    register: r
  - name: after
    command: echo {{r.failed}} {{r.results.[1].failed}} {{r.results.[2].status}} {{r.msg}}
    register: o
`,
    );
    assert.equal(ran.summary.exitCode, ExitCode.ok);
    assert.deepEqual(
      ends(ran.events).map((e) => [e.taskId, e.status]),
      [
        ['1[1]', 'changed'],
        ['1[2]', 'failed'],
        ['1[3]', 'changed'],
        ['2', 'changed'],
      ],
    );
    assert.equal(ran.end('h1', 'after').stdout, 'true true changed One or more items failed');
  });

  test('a list from a registered result is expanded at run time; when is decided per item', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(
      dir,
      `name: t
hosts: all
tasks:
  - name: list
    command: printf 'x\\ny\\nz\\n'
    register: ls
  - name: each
    command: echo got {{line}}
    loop: "{{ls.lines}}"
    loop_control: {loop_var: line, label: "line {{line}}"}
    when: (ne line "y")
`,
    );
    assert.equal(ran.summary.exitCode, ExitCode.ok);
    assert.deepEqual(
      ends(ran.events).map((e) => [e.name, e.status, e.stdout ?? '']),
      [
        ['list', 'changed', 'x\ny\nz'],
        ['each (line=line x)', 'changed', 'got x'],
        ['each (line=line y)', 'skipped', ''],
        ['each (line=line z)', 'changed', 'got z'],
      ],
    );
  });

  test('a run-time list that is not a list fails the task, naming it and what it got', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(
      dir,
      `name: t
hosts: all
tasks:
  - name: marker
    command: touch ${dir}/m
    rollback: rm -f ${dir}/m
  - name: read
    command: echo a,b
    register: out
  - name: each
    command: echo {{item}}
    loop: "{{out.stdout}}"
`,
    );
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    const end = ran.end('h1', 'each');
    assert.equal(end.status, 'failed');
    assert.equal(end.code, 'E_LOOP');
    assert.equal(end.pos?.line, 12);
    assert.equal(end.pos?.col, 11);
    assert.match(end.message ?? '', /task "each": loop \{\{out\.stdout\}\} gave the string "a,b", not a list/);
    assert.equal(existsSync(`${dir}/m`), false, 'the host was put back');
  });

  test('a secret in an item never reaches the journal: the item is named with it masked', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(
      dir,
      `name: t
hosts: all
secrets:
  tok: {env: KPLAY_LOOP_TOKEN}
tasks:
  - name: use
    command: test {{item}} = s3cr3t-value && touch ${dir}/used
    rollback: rm -f ${dir}/used
    loop: ["{{tok}}"]
`,
      { secrets: [{ name: 'tok', source: { env: 'KPLAY_LOOP_TOKEN' }, value: 's3cr3t-value' }], detach: true },
    );
    assert.equal(ran.summary.exitCode, ExitCode.ok, JSON.stringify(ends(ran.events)));
    assert.ok(existsSync(`${dir}/used`), 'the item had the real value');
    assert.equal(ran.end('h1', 'use (item=********)').status, 'changed');
    const journal = JSON.stringify(ran.journal);
    assert.ok(!journal.includes('s3cr3t'), journal);
    assert.match(journal, /use \(item=\*{8}\)/);
  });

  test('an empty list skips the task and registers no results', BOUND, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'unused'), '');
    const ran = await runLocal(
      dir,
      `name: t
hosts: all
vars:
  none: []
tasks:
  - name: each
    command: echo {{item}}
    loop: "{{none}}"
    register: r
  - name: after
    command: echo {{r.skipped}} {{r.results.length}}
`,
    );
    assert.equal(ran.summary.exitCode, ExitCode.ok);
    const each = ran.end('h1', 'each');
    assert.equal(each.status, 'skipped');
    assert.equal(each.message, 'loop over an empty list');
    assert.equal(ran.end('h1', 'after').stdout, 'true 0');
  });
});
