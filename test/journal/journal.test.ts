// The journal and the host's state folder, on the controller's own shell: no root, no sshd.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { LocalConnection } from '../../src/connection/local.js';
import { acquireLock, appendHostJournal, hostBackupDir, readHostJournal, releaseLock } from '../../src/journal/host-state.js';
import { pendingUndos, RunStore } from '../../src/journal/run-store.js';
import type { JournalEntry } from '../../src/journal/run-store.js';
import { tempDir } from '../helpers/local-run.js';

const conn = new LocalConnection();
after(() => conn.close());

const undo = { name: 'undo', kind: 'command', args: { cmd: 'true' }, become: false, local: false, timeoutMs: 1000, userWritten: true };
function entry(change: number, phase: JournalEntry['phase'], host = 'h1', extra: Partial<JournalEntry> = {}): JournalEntry {
  return { change, host, taskId: String(change), task: `t${change}`, phase, time: new Date(1_000 + change).toISOString(), ...extra };
}

describe('the controller journal', () => {
  test('lines survive as written; a line cut short by a crash is skipped, not fatal', () => {
    const root = tempDir();
    const store = RunStore.create(root, { runId: 'r1', playbook: 'p', playbookFile: '', inventoryFile: '', started: '', pid: process.pid, state: 'running', hosts: {}, hostState: {} });
    store.append(entry(1, 'intent', 'h1', { undo }));
    store.append(entry(1, 'done'));
    appendFileSync(path.join(store.dir, 'journal.ndjson'), '{"change":2,"host":"h1","ta');
    assert.deepEqual(store.entries().map((e) => [e.change, e.phase]), [[1, 'intent'], [1, 'done']]);
    assert.equal(store.nextChange(), 2);
    store.setState('committed');
    assert.equal(store.record().state, 'committed');
    assert.ok(store.record().ended);
  });

  test('pending undos: newest first per host; undone ones gone; a failed written rollback is not run', () => {
    const entries = [
      entry(1, 'intent', 'h1', { undo }),
      entry(1, 'done'),
      entry(2, 'intent', 'h1', { undo }),
      entry(2, 'failed'),
      entry(3, 'intent', 'h1', { undo: { ...undo, userWritten: false, kind: 'remove_file' } }),
      entry(3, 'failed'),
      entry(4, 'intent', 'h2', { undo }),
      entry(5, 'intent', 'h1', { undo }),
      entry(6, 'intent', 'h1', { undo }),
      entry(6, 'done'),
      entry(6, 'undone'),
    ];
    const p = pendingUndos(entries);
    // 5 has no outcome (kplay died mid-change): its undo runs; 3 is a kind's own undo, which checks state first.
    assert.deepEqual(p.get('h1')!.map((x) => x.intent.change), [5, 3, 1]);
    assert.deepEqual(p.get('h2')!.map((x) => x.intent.change), [4]);
  });
});

describe("the host's state folder", () => {
  test('journal lines are appended and read back; the backup folder is private', async () => {
    const ref = { become: false, dir: path.join(tempDir(), 'state') };
    await appendHostJournal(conn, ref, 'r1', [entry(1, 'intent', 'h1', { undo })]);
    await appendHostJournal(conn, ref, 'r1', [entry(1, 'done')]);
    assert.deepEqual((await readHostJournal(conn, ref, 'r1')).map((e) => e.phase), ['intent', 'done']);
    assert.deepEqual(await readHostJournal(conn, ref, 'other'), []);
    const backup = await hostBackupDir(conn, ref, 'r1');
    assert.equal(backup, path.join(ref.dir, 'backup', 'r1'));
    assert.ok(existsSync(backup));
  });

  test('the lock: one run at a time; --force takes another run\'s lock but never hides this run under a second name', async () => {
    const ref = { become: false, dir: path.join(tempDir(), 'state') };
    assert.equal(await acquireLock(conn, ref, 'r1', { force: false, host: 'n1' }), undefined);
    const other = await acquireLock(conn, ref, 'r2', { force: false, host: 'x' });
    assert.equal(other?.runId, 'r1');
    // The same run reaching the same folder again is another name of the same machine.
    for (const force of [false, true]) {
      const same = await acquireLock(conn, ref, 'r1', { force, host: 'n2' });
      assert.equal(same?.runId, 'r1');
      assert.equal(same?.host, 'n1');
    }
    assert.equal(await acquireLock(conn, ref, 'r2', { force: true, host: 'x' }), undefined);
    assert.match(readFileSync(path.join(ref.dir, 'lock', 'owner'), 'utf8'), /"runId":"r2"/);
    await releaseLock(conn, ref, 'r1');
    assert.ok(existsSync(path.join(ref.dir, 'lock')), "a run does not release another run's lock");
    await releaseLock(conn, ref, 'r2');
    assert.equal(existsSync(path.join(ref.dir, 'lock')), false);
  });
});
