// Every undo script, run for real on the controller (a LocalConnection) in a temporary folder:
// no root, no sshd. Each is tried as it normally runs, run twice (the second time does nothing),
// and against a world that changed since kplay made its change.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalConnection } from '../../src/connection/local.js';
import type { StoredUndo } from '../../src/journal/run-store.js';
import { copy } from '../../src/tasks/copy.js';
import { dlv, PROCESS_MARK_VAR } from '../../src/tasks/dlv.js';
import type { UndoContext } from '../../src/tasks/kind.js';
import { move } from '../../src/tasks/move.js';
import { template } from '../../src/tasks/template.js';
import type { UndoSpec } from '../../src/tasks/undos.js';
import { undoPaths } from '../../src/tasks/undos.js';
import { runUndo } from '../../src/undo/run-undo.js';

const conn = new LocalConnection();
let dir: string;

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function undoCtx(change = 1): UndoContext {
  const backups = path.join(dir, 'backup');
  return {
    conn,
    become: false,
    timeoutMs: 30_000,
    baseDir: dir,
    renderText: (text) => text.replace('{{x}}', 'rendered'),
    progress: () => undefined,
    signal: new AbortController().signal,
    change,
    taskName: 'test task',
    local: false,
    backupDir: async () => {
      mkdirSync(backups, { recursive: true });
      return backups;
    },
  };
}

function undo(spec: StoredUndo, force = false) {
  return runUndo(spec, conn, conn, new AbortController().signal, { force });
}

function at(name: string): string {
  return path.join(dir, name);
}

function read(name: string): string | undefined {
  return existsSync(at(name)) ? readFileSync(at(name), 'utf8') : undefined;
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kplay-undo-'));
});
after(async () => {
  await conn.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
});

describe('move_back', () => {
  async function moved(): Promise<UndoSpec> {
    writeFileSync(at('manifest.yaml'), 'kind: Pod\n');
    const a = { src: at('manifest.yaml'), dest: at('aside/manifest.yaml') };
    const spec = await move.prepareUndo!(undoCtx(), a);
    assert.ok(spec);
    await move.execute!(undoCtx(), a);
    assert.equal(read('manifest.yaml'), undefined, 'the move happened');
    return spec;
  }

  test('moves the file back; a second time it is already in place', async () => {
    const spec = await moved();
    assert.equal(spec.kind, 'move_back');
    assert.deepEqual(undoPaths(spec), [at('manifest.yaml'), at('aside/manifest.yaml')]);
    assert.deepEqual(await undo(spec), { ok: true, message: 'moved back' });
    assert.equal(read('manifest.yaml'), 'kind: Pod\n');
    assert.equal(read('aside/manifest.yaml'), undefined);
    assert.deepEqual(await undo(spec), { ok: true, message: 'already in place' });
    assert.equal(read('manifest.yaml'), 'kind: Pod\n');
  });

  test('a moved file that changed since stays where it is; --force moves it back as it is', async () => {
    const spec = await moved();
    writeFileSync(at('aside/manifest.yaml'), 'kind: Pod # edited\n');
    const refused = await undo(spec);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /aside\/manifest\.yaml changed since kplay moved it .*--force/);
    assert.equal(read('manifest.yaml'), undefined, 'nothing moved');
    assert.deepEqual(await undo(spec, true), { ok: true, message: 'moved back' });
    assert.equal(read('manifest.yaml'), 'kind: Pod # edited\n');
  });

  test('never overwrites: when both places exist it refuses, even forced', async () => {
    const spec = await moved();
    writeFileSync(at('manifest.yaml'), 'a new one\n');
    for (const force of [false, true]) {
      const r = await undo(spec, force);
      assert.equal(r.ok, false);
      assert.match(r.message, /both .* exist; refusing to overwrite either/);
    }
    assert.equal(read('manifest.yaml'), 'a new one\n');
    assert.equal(read('aside/manifest.yaml'), 'kind: Pod\n');
  });

  test('a moved file that is gone is reported', async () => {
    const spec = await moved();
    rmSync(at('aside/manifest.yaml'));
    const r = await undo(spec);
    assert.equal(r.ok, false);
    assert.match(r.message, /aside\/manifest\.yaml is gone: nothing to move back/);
  });

  test('a move that never happened (kplay died after its intent) is already in place', async () => {
    writeFileSync(at('manifest.yaml'), 'kind: Pod\n');
    const spec = await move.prepareUndo!(undoCtx(), { src: at('manifest.yaml'), dest: at('aside/manifest.yaml') });
    assert.deepEqual(await undo(spec!), { ok: true, message: 'already in place' });
  });
});

describe('restore_backup (copy and template with backup: true over a file)', () => {
  async function copied(): Promise<UndoSpec> {
    writeFileSync(at('config'), 'old\n');
    const a = { dest: at('config'), content: 'new\n', backup: true };
    const spec = await copy.prepareUndo!(undoCtx(), a);
    assert.ok(spec);
    await copy.execute!(undoCtx(), a);
    assert.equal(read('config'), 'new\n');
    return spec;
  }

  test('restores the old file and drops the copy; a second time it is already restored', async () => {
    const spec = await copied();
    assert.equal(spec.kind, 'restore_backup');
    assert.equal(spec.kind === 'restore_backup' && spec.args.written, sha('new\n'), 'the checksum of what kplay wrote is recorded');
    assert.deepEqual(undoPaths(spec), [at('config')]);
    assert.deepEqual(await undo(spec), { ok: true, message: 'restored' });
    assert.equal(read('config'), 'old\n');
    assert.deepEqual(readdirSync(at('backup')), [], 'no copy left behind');
    assert.deepEqual(await undo(spec), { ok: true, message: 'already restored' });
    assert.equal(read('config'), 'old\n');
  });

  test('a file changed since kplay wrote it is refused; --force restores it and keeps the changed one', async () => {
    const spec = await copied();
    writeFileSync(at('config'), 'edited by hand\n');
    const refused = await undo(spec);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /config changed since kplay wrote it \(checksum differs\); left as it is \(kplay rollback --force restores the old file/);
    assert.equal(read('config'), 'edited by hand\n', 'left as it is');
    const forced = await undo(spec, true);
    assert.equal(forced.ok, true, forced.message);
    assert.match(forced.message, /it had changed since kplay wrote it: kept in .*1-config\.changed\nrestored/);
    assert.equal(read('config'), 'old\n');
    assert.equal(read('backup/1-config.changed'), 'edited by hand\n', 'nothing is lost');
  });

  test('a write that never happened (kplay died after its intent) restores the same file', async () => {
    writeFileSync(at('config'), 'old\n');
    const spec = await copy.prepareUndo!(undoCtx(), { dest: at('config'), content: 'new\n', backup: true });
    assert.deepEqual(await undo(spec!), { ok: true, message: 'restored' });
    assert.equal(read('config'), 'old\n');
  });

  test('a file removed since is put back: restoring it loses nothing', async () => {
    const spec = await copied();
    rmSync(at('config'));
    assert.deepEqual(await undo(spec), { ok: true, message: 'restored' });
    assert.equal(read('config'), 'old\n');
  });

  test('a missing backup or one that changed is refused, the file left as it is', async () => {
    const spec = await copied();
    assert.ok(spec.kind === 'restore_backup');
    writeFileSync(spec.args.backup, 'tampered\n');
    const bad = await undo(spec, true);
    assert.equal(bad.ok, false);
    assert.match(bad.message, /the backup .* does not match its checksum/);
    rmSync(spec.args.backup);
    const missing = await undo(spec, true);
    assert.equal(missing.ok, false);
    assert.match(missing.message, /the backup .* is missing/);
    assert.equal(read('config'), 'new\n');
  });

  test('template records the checksum of the rendered text', async () => {
    writeFileSync(at('t.hbs'), 'x = {{x}}\n');
    writeFileSync(at('out'), 'before\n');
    const a = { src: 't.hbs', dest: at('out'), backup: true };
    const spec = await template.prepareUndo!(undoCtx(), a);
    await template.execute!(undoCtx(), a);
    assert.equal(read('out'), 'x = rendered\n');
    assert.ok(spec?.kind === 'restore_backup');
    assert.equal(spec.args.written, sha('x = rendered\n'));
    assert.deepEqual(await undo(spec), { ok: true, message: 'restored' });
    assert.equal(read('out'), 'before\n');
  });
});

describe('remove_file (copy with backup: true where there was no file)', () => {
  async function created(): Promise<UndoSpec> {
    const a = { dest: at('sub/new.conf'), content: 'made by kplay\n', backup: true };
    const spec = await copy.prepareUndo!(undoCtx(), a);
    assert.ok(spec);
    await copy.execute!(undoCtx(), a);
    return spec;
  }

  test('removes what kplay wrote; a second time it is already absent', async () => {
    const spec = await created();
    assert.equal(spec.kind, 'remove_file');
    assert.deepEqual(await undo(spec), { ok: true, message: 'removed' });
    assert.equal(read('sub/new.conf'), undefined);
    assert.deepEqual(await undo(spec), { ok: true, message: 'already absent' });
  });

  test('a file changed since is left in place; --force moves it to the backup folder instead of deleting it', async () => {
    const spec = await created();
    writeFileSync(at('sub/new.conf'), 'someone else wrote this\n');
    const refused = await undo(spec);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /new\.conf changed since kplay wrote it .*--force removes it/);
    assert.equal(read('sub/new.conf'), 'someone else wrote this\n');
    const forced = await undo(spec, true);
    assert.equal(forced.ok, true, forced.message);
    assert.equal(read('sub/new.conf'), undefined);
    assert.equal(read('backup/1-new.conf.changed'), 'someone else wrote this\n');
  });
});

describe('stop_marked (the undo of dlv)', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  function startMarked(mark: string): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
    // A sleep standing in for dlv: the mark in its environment is all stop_marked looks for.
    const child = spawn('sleep', ['60'], { env: { ...process.env, [PROCESS_MARK_VAR]: mark }, stdio: 'ignore' });
    children.push(child);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    return { child, exited };
  }

  async function specFor(leader: string): Promise<UndoSpec & { kind: 'stop_marked' }> {
    const spec = await dlv.prepareUndo!(undoCtx(), { binary: '/bin/true' });
    assert.ok(spec?.kind === 'stop_marked');
    assert.deepEqual(undoPaths(spec), []);
    return { ...spec, args: { ...spec.args, leader, graceSeconds: 1 } };
  }

  test('stops the marked process and leaves others alone; a second time it is not running', async () => {
    const spec = await specFor('sleep');
    const target = startMarked(spec.args.mark);
    const other = startMarked('another-run');
    await sleep(100);
    assert.deepEqual(await undo(spec), { ok: true, message: 'stopped' });
    assert.equal(await target.exited, 'SIGTERM');
    assert.equal(other.child.exitCode, null, 'a process with another mark still runs');
    assert.equal(other.child.signalCode, null);
    assert.deepEqual(await undo(spec), { ok: true, message: 'not running' });
  });

  test('a process that is not the leader gets SIGTERM after the grace time', async () => {
    const spec = await specFor('dlv');
    const target = startMarked(spec.args.mark);
    await sleep(100);
    const r = await undo(spec);
    assert.equal(r.ok, true, r.message);
    assert.equal(await target.exited, 'SIGTERM');
  });
});

describe("a user's rollback", () => {
  test('runs as its kind runs it; its failure is reported with what it printed', async () => {
    const spec: UndoSpec = { name: 'rm marker', kind: 'command', args: { cmd: `rm ${at('marker')}` }, become: false, local: false, timeoutMs: 10_000, userWritten: true };
    writeFileSync(at('marker'), '');
    const r = await undo(spec);
    assert.equal(r.ok, true, r.message);
    assert.equal(existsSync(at('marker')), false);
    const again = await undo(spec);
    assert.equal(again.ok, false);
    assert.match(again.message, /No such file or directory/);
  });

  test('an undo of a kind this kplay does not know is refused, not run', async () => {
    const r = await undo({ name: 'x', kind: 'format_disk', args: {}, become: false, local: false, timeoutMs: 1000, userWritten: false });
    assert.deepEqual(r, { ok: false, message: 'kplay cannot run a format_disk undo (was the journal written by another version of kplay?)' });
  });
});
