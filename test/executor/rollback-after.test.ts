// rollback_after: a task's undo runs after the undos of the tasks it names, in the run's own
// rollback and in a later rollback read from the journal alone (what `kplay rollback` does after
// a crash). Local hosts, no root (see local-run.ts); names are checked before anything runs.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadPlaybook } from '../../src/config/playbook-load.js';
import { LocalConnection } from '../../src/connection/local.js';
import { ExitCode } from '../../src/errors.js';
import { RunStore } from '../../src/journal/run-store.js';
import type { JournalEntry, PendingUndo } from '../../src/journal/run-store.js';
import { undoHost } from '../../src/undo/undo-host.js';
import { undoOrder } from '../../src/undo/undo-order.js';
import { kplay } from '../helpers/cli.js';
import { runLocal, tempDir } from '../helpers/local-run.js';

const BOUND = { timeout: 60_000 };

/**
 * The rotate-config play: write the config (undo: put it back), then restart the service, whose
 * rollback restarts it again (here: records the config it would start with). The restart's undo
 * must come after the config's. `fail` adds a last task that fails.
 */
function rotate(dir: string, after: string, fail: boolean): string {
  return `name: rotate\nhosts: all\ntasks:
  - name: Write the config
    copy: {content: "new\\n", dest: "${dir}/app.conf", backup: true}
  - name: Restart the service
    command: cat ${dir}/app.conf >> ${dir}/started-with
    rollback:
      name: Restart the service on the old config
      command: cat ${dir}/app.conf >> ${dir}/started-with
${after}${fail ? '  - name: Health\n    command: "false"\n' : ''}`;
}

const AFTER = '    rollback_after: Write the config\n';

describe('rollback_after in the run', () => {
  test("the restart's undo runs once the old config is back", BOUND, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'app.conf'), 'old\n');
    const ran = await runLocal(dir, rotate(dir, AFTER, true));
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.equal(readFileSync(path.join(dir, 'app.conf'), 'utf8'), 'old\n');
    assert.equal(readFileSync(path.join(dir, 'started-with'), 'utf8'), 'new\nold\n', 'restarted on the old config');
    const intent = ran.journal.find((e) => e.phase === 'intent' && e.task === 'Restart the service');
    assert.deepEqual(intent?.undoAfter, ['1'], 'the journal keeps the order, as task ids');
  });

  test('without it, undos run newest first (the restart would meet the new config)', BOUND, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'app.conf'), 'old\n');
    await runLocal(dir, rotate(dir, '', true));
    assert.equal(readFileSync(path.join(dir, 'started-with'), 'utf8'), 'new\nnew\n');
  });
});

describe('rollback_after from the journal (a later kplay rollback)', () => {
  test('a detached run undone from its journal alone keeps the order', BOUND, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'app.conf'), 'old\n');
    const ran = await runLocal(dir, rotate(dir, AFTER, false), { detach: true });
    assert.equal(ran.summary.state, 'detached');
    assert.equal(readFileSync(path.join(dir, 'app.conf'), 'utf8'), 'new\n');
    // As a new process would: the journal file read back, no playbook.
    const entries = new RunStore(path.join(dir, 'controller'), `test-${path.basename(dir)}`).entries();
    const conn = new LocalConnection();
    const names: string[] = [];
    const left = await undoHost({
      host: 'h1',
      conn,
      local: conn,
      entries,
      record: async () => undefined,
      emit: (e) => {
        if (e.type === 'task_start') names.push(e.name);
      },
    });
    await conn.close();
    assert.deepEqual(left, []);
    assert.equal(names.at(-1), 'Restart the service on the old config');
    assert.equal(readFileSync(path.join(dir, 'app.conf'), 'utf8'), 'old\n');
    assert.equal(readFileSync(path.join(dir, 'started-with'), 'utf8'), 'new\nold\n');
  });

  test('the order: only what must move moves; an include covers its tasks; a cycle falls back to newest first', () => {
    const p = (change: number, taskId: string, undoAfter?: string[]): PendingUndo => ({
      intent: { change, host: 'h', taskId, task: taskId, phase: 'intent', time: '', ...(undoAfter ? { undoAfter } : {}) } as JournalEntry,
    });
    const ids = (list: PendingUndo[]) => list.map((x) => x.intent.taskId);
    // Newest first: 5, 4.2, 4.1, 3, 1; the change of task 3 waits for include 1 and for task 4's items.
    const pending = [p(6, '5'), p(5, '4.2'), p(4, '4.1'), p(3, '3', ['1', '4']), p(1, '1')];
    assert.deepEqual(ids(undoOrder(pending)), ['5', '4.2', '4.1', '1', '3']);
    assert.deepEqual(ids(undoOrder([p(2, '12'), p(1, '1', ['1'])])), ['12', '1'], '"1" does not cover "12"');
    assert.deepEqual(ids(undoOrder([p(2, '2', ['1']), p(1, '1', ['2'])])), ['2', '1']);
    assert.deepEqual(ids(undoOrder([p(2, '2[1]'), p(1, '1', ['2'])])), ['2[1]', '1'], "a loop's items are under their task");
  });
});

describe('rollback_after names are checked before anything runs', () => {
  test('an unknown name is exit 4 at file:line:col with a did-you-mean', () => {
    const dir = tempDir();
    const file = path.join(dir, 'rotate.yaml');
    writeFileSync(file, rotate(dir, '    rollback_after: [Write the confg]\n', false));
    const r = kplay(['validate', file]);
    assert.equal(r.code, ExitCode.invalidInput, r.err);
    assert.match(r.err, new RegExp(`${file.replace(/[.]/g, '\\.')}:11:22: error: task "Restart the service": rollback_after names "Write the confg", which is no task or include of this playbook`));
    assert.match(r.err, /Did you mean "Write the config"\?/);
  });

  test('a task naming itself is an error; an include name covers every task it includes', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'lib.yaml'), '- name: inner one\n  command: "true"\n- name: inner two\n  command: "true"\n');
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, `name: p\nhosts: all\ntasks:
  - name: The lib
    include: lib.yaml
  - name: Last
    command: "true"
    rollback: "true"
    rollback_after: [The lib, Last]
`);
    const loaded = loadPlaybook(file);
    const errors = loaded.problems.filter((d) => d.severity === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /task "Last": rollback_after names the task itself/);
    assert.deepEqual(errors[0]!.pos, { file, line: 9, col: 31 });
    assert.deepEqual(loaded.value?.tasks.find((t) => t.name === 'Last')?.rollbackAfter, ['1']);
  });
});
