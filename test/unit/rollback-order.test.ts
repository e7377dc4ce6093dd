// `kplay rollback` of an older run refuses while a newer run on the same host has changed the
// same paths since: undoing the older run would put back a state from under the newer one.
// The runs are two records in a temporary state folder; the check happens before connecting.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { KplayError } from '../../src/errors.js';
import { rollbackRun } from '../../src/executor/rollback-run.js';
import type { RunEvent } from '../../src/report/events.js';
import { RunStore } from '../../src/journal/run-store.js';
import type { JournalEntry, RunRecord } from '../../src/journal/run-store.js';
import type { UndoSpec } from '../../src/tasks/undos.js';
import { newerChanges } from '../../src/undo/newer-runs.js';

const root = mkdtempSync(path.join(tmpdir(), 'kplay-order-'));
after(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => rmSync(path.join(root, 'runs'), { recursive: true, force: true }));

/** A finished run with changes in place on hosts that nothing listens for (port 1: refused at once). */
function run(runId: string, started: string, hosts: Record<string, number>, changes: { host: string; undo: UndoSpec; undone?: boolean }[]): RunStore {
  const record: RunRecord = {
    runId,
    playbook: 'debug',
    playbookFile: '/p.yaml',
    inventoryFile: '/i.yaml',
    started,
    ended: started,
    pid: 1,
    state: 'committed',
    hosts: Object.fromEntries(Object.entries(hosts).map(([name, port]) => [name, { name, address: '127.0.0.1', port, connectTimeoutMs: 2000 }])),
    hostState: {},
  };
  const store = RunStore.create(root, record);
  changes.forEach((c, i) => {
    const base = { change: i + 1, host: c.host, taskId: `t${i}`, task: c.undo.name, time: started };
    const lines: JournalEntry[] = [{ ...base, phase: 'intent', undo: c.undo }, { ...base, phase: 'done' }];
    if (c.undone) lines.push({ ...base, phase: 'undone' });
    for (const l of lines) store.append(l);
  });
  return store;
}

function restore(p: string): UndoSpec {
  return { name: `restore ${p}`, kind: 'restore_backup', args: { path: p, backup: `/b/${path.basename(p)}`, sha256: 'a', written: 'b', keep: '/b/k' }, become: false, local: false, timeoutMs: 1000, userWritten: false };
}

function moveBack(original: string, moved: string): UndoSpec {
  return { name: `move ${moved} back`, kind: 'move_back', args: { original, moved, sha256: '-' }, become: false, local: false, timeoutMs: 1000, userWritten: false };
}

function rollback(runId: string, force = false) {
  const events: RunEvent[] = [];
  const reporter = () => ({ onEvent: (e: RunEvent) => events.push(e), close: async () => undefined });
  return { events, result: rollbackRun({ runId, force, reporter, env: { ...process.env, KPLAY_STATE_DIR: root }, sshConfigFile: '/dev/null' }) };
}

describe('rollback of an older run under a newer one', () => {
  test('refuses (exit 4), naming the newer run, the host and the paths; --force goes ahead', async () => {
    const old = run('20260101T000000-aaaaaa', '2026-01-01T00:00:00.000Z', { n1: 1 }, [{ host: 'n1', undo: moveBack('/etc/k/manifest.yaml', '/var/k/manifest.yaml') }, { host: 'n1', undo: restore('/etc/k/config') }]);
    run('20260102T000000-bbbbbb', '2026-01-02T00:00:00.000Z', { node1: 1 }, [{ host: 'node1', undo: restore('/etc/k/config') }, { host: 'node1', undo: restore('/etc/other') }]);
    const refused = rollback(old.runId);
    await assert.rejects(refused.result, (e: unknown) => {
      assert.ok(e instanceof KplayError);
      assert.equal(e.code, 'E_ROLLBACK_ORDER');
      assert.equal(e.exitCode, 4);
      assert.equal(e.message, 'run 20260101T000000-aaaaaa was not rolled back: a newer run changed the same paths since (run 20260102T000000-bbbbbb changed /etc/k/config on n1)');
      assert.match(e.hint ?? '', /kplay rollback 20260102T000000-bbbbbb\b.*kplay rollback 20260101T000000-aaaaaa --force/);
      return true;
    });
    assert.deepEqual(refused.events, [], 'nothing was started');
    assert.equal(old.record().state, 'committed', 'the run is left as it was');

    // Forced, the check is skipped and the hosts are contacted (here: nobody listens, so unreachable).
    const forced = rollback(old.runId, true);
    const r = await forced.result;
    assert.equal(r.exitCode, 3);
    assert.ok(forced.events.some((e) => e.type === 'host_end' && e.host === 'n1' && e.status === 'unreachable'));
  });

  test('the newer run of the same machine is found by address and port, not by name; its undone changes do not count', () => {
    const old = run('20260101T000000-aaaaaa', '2026-01-01T00:00:00.000Z', { n1: 1, n2: 2 }, [
      { host: 'n1', undo: restore('/etc/a') },
      { host: 'n2', undo: restore('/etc/b') },
    ]);
    // Same paths, but on another machine (port 3), undone already, or made before the old run.
    run('20260102T000000-cccccc', '2026-01-02T00:00:00.000Z', { n1: 3 }, [{ host: 'n1', undo: restore('/etc/a') }]);
    run('20260103T000000-dddddd', '2026-01-03T00:00:00.000Z', { x: 1 }, [{ host: 'x', undo: restore('/etc/a'), undone: true }]);
    run('20251231T000000-eeeeee', '2025-12-31T00:00:00.000Z', { n1: 1 }, [{ host: 'n1', undo: restore('/etc/a') }]);
    assert.deepEqual(newerChanges(root, old), []);
    run('20260104T000000-ffffff', '2026-01-04T00:00:00.000Z', { other: 2 }, [{ host: 'other', undo: moveBack('/etc/c', '/etc/b') }]);
    assert.deepEqual(newerChanges(root, old), [{ runId: '20260104T000000-ffffff', host: 'n2', paths: ['/etc/b'] }]);
  });

  test("a user's rollback names no paths and so never conflicts", () => {
    const cmd: UndoSpec = { name: 'rm x', kind: 'command', args: { cmd: 'rm /etc/a' }, become: false, local: false, timeoutMs: 1000, userWritten: true };
    const old = run('20260101T000000-aaaaaa', '2026-01-01T00:00:00.000Z', { n1: 1 }, [{ host: 'n1', undo: cmd }]);
    run('20260102T000000-bbbbbb', '2026-01-02T00:00:00.000Z', { n1: 1 }, [{ host: 'n1', undo: restore('/etc/a') }]);
    assert.deepEqual(newerChanges(root, old), []);
  });

  test('kplay rollback says so and exits 4', async () => {
    const old = run('20260101T000000-aaaaaa', '2026-01-01T00:00:00.000Z', { n1: 1 }, [{ host: 'n1', undo: restore('/etc/a') }]);
    run('20260102T000000-bbbbbb', '2026-01-02T00:00:00.000Z', { n1: 1 }, [{ host: 'n1', undo: restore('/etc/a') }]);
    let err = '';
    const saved = process.env.KPLAY_STATE_DIR;
    process.env.KPLAY_STATE_DIR = root;
    try {
      const code = await main(['rollback', old.runId], { out: () => undefined, err: (s) => (err += s), isTTY: false });
      assert.equal(code, 4);
    } finally {
      if (saved === undefined) delete process.env.KPLAY_STATE_DIR;
      else process.env.KPLAY_STATE_DIR = saved;
    }
    assert.match(err, /run 20260101T000000-aaaaaa was not rolled back: a newer run changed the same paths since \(run 20260102T000000-bbbbbb changed \/etc\/a on n1\)/);
    assert.match(err, /hint: Roll back the newer run first/);
    assert.doesNotMatch(err, /at .*\.ts:\d+/, 'no stack trace');
  });
});
