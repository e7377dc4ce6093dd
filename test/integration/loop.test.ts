// `loop:` against real sshd hosts: a loop that replaces files, each item journalled as its own
// change, and rollbacks (after a failure, and `kplay rollback` of a finished run) that undo the
// items newest first and put every file back as it was.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rollbackRun } from '../../src/executor/rollback-run.js';
import type { RunEvent, TaskEndEvent } from '../../src/report/events.js';
import { runEnv, runPlaybook } from '../helpers/run.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

function undoEnds(events: RunEvent[], host: string): string[] {
  return events.filter((e): e is TaskEndEvent => e.type === 'task_end' && e.host === host && e.taskId.endsWith('.undo')).map((e) => `${e.taskId} ${e.name}: ${e.status}`);
}

describe('loop over real hosts', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 2 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-loop-'));
  });
  after(async () => lab?.close());

  test('a loop replaces three files per host; a later failure undoes them newest first, each file as it was', async () => {
    const d = path.join(dir, 'fail');
    for (const h of ['h1', 'h2']) {
      mkdirSync(path.join(d, h), { recursive: true });
      for (const f of ['a', 'b', 'c']) writeFileSync(path.join(d, h, `${f}.conf`), `old ${f} on ${h}\n`);
    }
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1', 'h2'] }),
      `name: rotate
hosts: all
vars:
  confs: [a, b, c]
tasks:
  - name: write
    copy: {content: "new {{item}}\\n", dest: "${d}/{{host.name}}/{{item}}.conf", backup: true}
    loop: "{{confs}}"
    register: w
  - name: check
    command: test {{w.changed}} = true && test {{w.results.length}} = 3 && test {{host.name}} = none
`,
    );
    assert.equal(r.summary.exitCode, 2);
    for (const h of ['h1', 'h2']) {
      assert.deepEqual(
        r.events.filter((e): e is TaskEndEvent => e.type === 'task_end' && e.host === h && e.taskId.startsWith('1[') && !e.taskId.endsWith('.undo')).map((e) => [e.taskId, e.name, e.status]),
        [
          ['1[1]', 'write (item=a)', 'changed'],
          ['1[2]', 'write (item=b)', 'changed'],
          ['1[3]', 'write (item=c)', 'changed'],
        ],
      );
      assert.equal(r.end(h, 'check').status, 'failed');
      // Each item is its own change, undone on its own, the last item first.
      assert.deepEqual(undoEnds(r.events, h), [
        `1[3].undo restore ${d}/${h}/c.conf: changed`,
        `1[2].undo restore ${d}/${h}/b.conf: changed`,
        `1[1].undo restore ${d}/${h}/a.conf: changed`,
      ]);
      for (const f of ['a', 'b', 'c']) assert.equal(readFileSync(path.join(d, h, `${f}.conf`), 'utf8'), `old ${f} on ${h}\n`);
    }
  });

  test('kplay rollback of a finished run undoes the items of a loop over a registered result, newest first', async () => {
    const d = path.join(dir, 'later');
    mkdirSync(d, { recursive: true });
    const log = path.join(d, 'undo.log');
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1'] }),
      `name: marks
hosts: all
tasks:
  - name: names
    command: printf 'x\\ny\\nz\\n'
    changed_when: false
    register: names
  - name: mark
    command: touch ${d}/{{item}}
    rollback: rm ${d}/{{item}} && echo {{item}} >> ${log}
    loop: "{{names.lines}}"
`,
    );
    assert.equal(r.summary.exitCode, 0);
    for (const f of ['x', 'y', 'z']) assert.ok(existsSync(path.join(d, f)), f);
    const runId = (r.events[0] as { runId: string }).runId;
    const events: RunEvent[] = [];
    const rb = await rollbackRun({ runId, env: runEnv(), sshConfigFile: '/dev/null', reporter: () => ({ onEvent: (e) => events.push(e), close: async () => undefined }) });
    assert.equal(rb.exitCode, 0);
    assert.equal(readFileSync(log, 'utf8'), 'z\ny\nx\n');
    assert.deepEqual(undoEnds(events, 'h1'), ['2[3].undo undo: mark (item=z): changed', '2[2].undo undo: mark (item=y): changed', '2[1].undo undo: mark (item=x): changed']);
    for (const f of ['x', 'y', 'z']) assert.equal(existsSync(path.join(d, f)), false, f);
  });
});
