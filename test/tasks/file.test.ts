// The file kind on this machine (LocalConnection, a temporary folder, no root): each state, that a
// second run is ok, each undo putting the path back, each undo refusing a path changed since
// (and --force losing nothing), and check() reporting without touching anything.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { after, beforeEach, describe, test } from 'node:test';
import type { File } from '../../src/config/playbook.generated.js';
import { decide, file } from '../../src/tasks/file.js';
import { KindBench } from '../helpers/kind-context.js';

let bench: KindBench;
beforeEach(async () => {
  await bench?.close();
  bench = new KindBench();
});
after(() => bench.close());

/** Runs the task as the engine does: the undo prepared first, then the change. */
async function run(a: File) {
  const undo = await file.prepareUndo!(bench.undoCtx(), a);
  const outcome = await file.execute!(bench.ctx(), a);
  return { undo, outcome };
}

/** Whether anything is at p, a dangling link too (existsSync follows links). */
function present(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function mode(p: string): number {
  return statSync(p).mode & 0o7777;
}

describe('state: directory', () => {
  test('creates the missing folders; again it is ok; the undo removes only what it created', async () => {
    const p = bench.at('a/b/c');
    const { undo, outcome } = await run({ path: p, state: 'directory', mode: '0750' });
    assert.equal(outcome.status, 'changed');
    assert.equal(mode(p), 0o750);
    assert.equal((await run({ path: p, state: 'directory', mode: '0750' })).outcome.status, 'ok');
    assert.equal(undo?.kind, 'remove_dirs');
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'folders removed' });
    assert.equal(existsSync(bench.at('a')), false);
    assert.ok(existsSync(bench.dir), 'what existed stays');
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'folders removed' }, 'a second time does nothing');
  });

  test('a created folder that is no longer empty stays; --force moves it to the backup folder', async () => {
    const p = bench.at('new');
    const { undo } = await run({ path: p, state: 'directory' });
    writeFileSync(`${p}/data`, 'kept\n');
    const refused = await bench.undo(undo!);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /is not empty: something was put in it since kplay created it; left as it is .*--force/);
    assert.ok(existsSync(`${p}/data`));
    const forced = await bench.undo(undo!, true);
    assert.equal(forced.ok, true);
    assert.equal(existsSync(p), false);
    const kept = readdirSync(bench.backups).find((f) => f.endsWith('.changed'));
    assert.ok(kept);
    assert.equal(readFileSync(`${bench.backups}/${kept}/data`, 'utf8'), 'kept\n', 'nothing is lost');
  });

  test('an existing folder: its mode changes, and the undo sets it back', async () => {
    const p = bench.at('d');
    mkdirSync(p, { mode: 0o755 });
    chmodSync(p, 0o755);
    const { undo, outcome } = await run({ path: p, state: 'directory', mode: '0700' });
    assert.deepEqual([outcome.status, outcome.message], ['changed', 'mode 755 -> 700']);
    assert.equal(undo?.kind, 'restore_attrs');
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'mode and owner set back' });
    assert.equal(mode(p), 0o755);
  });

  test('a file in the way is not replaced', async () => {
    writeFileSync(bench.at('f'), 'x');
    await assert.rejects(file.execute!(bench.ctx(), { path: bench.at('f'), state: 'directory' }), /exists and is not a folder/);
  });
});

describe('state: file (the default) and mode changes', () => {
  test('sets the mode of what exists; the undo refuses a mode changed since, unless forced', async () => {
    const p = bench.at('f');
    writeFileSync(p, 'x');
    chmodSync(p, 0o644);
    const { undo } = await run({ path: p, mode: '0600' });
    assert.equal(mode(p), 0o600);
    assert.equal((await run({ path: p, mode: '0600' })).outcome.status, 'ok');
    chmodSync(p, 0o666);
    const refused = await bench.undo(undo!);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /changed since kplay set its mode or owner; left as it is/);
    assert.equal(mode(p), 0o666);
    assert.equal((await bench.undo(undo!, true)).ok, true);
    assert.equal(mode(p), 0o644);
  });

  test('a missing file fails (file never creates)', async () => {
    await assert.rejects(file.execute!(bench.ctx(), { path: bench.at('none'), mode: '0600' }), /does not exist .*state: touch creates/);
  });
});

describe('state: touch', () => {
  test('creates an empty file; the undo removes it while still empty', async () => {
    const p = bench.at('t');
    const { undo } = await run({ path: p, state: 'touch', mode: '0640' });
    assert.equal(readFileSync(p, 'utf8'), '');
    assert.equal(mode(p), 0o640);
    assert.equal(undo?.kind, 'remove_file');
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'removed' });
    assert.equal(existsSync(p), false);
  });

  test('an existing file gets new times (always changed, as in Ansible); the undo puts the old times back', async () => {
    const p = bench.at('t');
    writeFileSync(p, 'content');
    utimesSync(p, new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
    const { undo, outcome } = await run({ path: p, state: 'touch' });
    assert.equal(outcome.status, 'changed');
    assert.ok(statSync(p).mtime.getFullYear() > 2020);
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'mode and owner set back' });
    assert.equal(statSync(p).mtime.toISOString(), '2020-01-02T03:04:05.000Z');
    assert.equal(readFileSync(p, 'utf8'), 'content');
  });
});

describe('state: absent', () => {
  test('a file goes to the run\'s backup folder and the undo moves it back, checked', async () => {
    const p = bench.at('gone.conf');
    writeFileSync(p, 'keep me\n');
    const { undo, outcome } = await run({ path: p, state: 'absent' });
    assert.equal(outcome.status, 'changed');
    assert.equal(existsSync(p), false);
    assert.equal(undo?.kind, 'move_back');
    assert.equal((await run({ path: p, state: 'absent' })).outcome.status, 'ok');
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'moved back' });
    assert.equal(readFileSync(p, 'utf8'), 'keep me\n');
  });

  test('a folder with its content comes back whole', async () => {
    const p = bench.at('tree');
    mkdirSync(`${p}/sub`, { recursive: true });
    writeFileSync(`${p}/sub/x`, 'x');
    const { undo } = await run({ path: p, state: 'absent' });
    assert.equal(existsSync(p), false);
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'moved back' });
    assert.equal(readFileSync(`${p}/sub/x`, 'utf8'), 'x');
  });

  test('a relative link is moved aside as a link and comes back as it was', async () => {
    const p = bench.at('rel');
    writeFileSync(bench.at('target'), 't');
    symlinkSync('target', p);
    const { undo } = await run({ path: p, state: 'absent' });
    assert.equal(present(p), false);
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'moved back' });
    assert.equal(readlinkSync(p), 'target');
  });

  test('the same path removed twice in a run (made again between) keeps both', async () => {
    const p = bench.at('twice');
    writeFileSync(p, 'first');
    const first = await run({ path: p, state: 'absent' });
    writeFileSync(p, 'second');
    const second = await run({ path: p, state: 'absent' });
    assert.notDeepEqual(first.undo?.args, second.undo?.args);
    assert.equal((await bench.undo(second.undo!)).ok, true);
    assert.equal(readFileSync(p, 'utf8'), 'second');
  });

  test('a run that keeps no journal has no backup folder: absent refuses and removes nothing', async () => {
    const p = bench.at('stay');
    writeFileSync(p, 'x');
    await assert.rejects(file.execute!(bench.ctx({ journaling: false }), { path: p, state: 'absent' }), /keeps what it removes in the run's backup folder/);
    assert.ok(existsSync(p));
  });
});

describe('state: link', () => {
  test('creates a link; again ok; a new target replaces it and the undo puts the old one back', async () => {
    const p = bench.at('current');
    const made = await run({ path: p, state: 'link', src: 'v1' });
    assert.equal(readlinkSync(p), 'v1');
    assert.equal((await run({ path: p, state: 'link', src: 'v1' })).outcome.status, 'ok');
    const changed = await run({ path: p, state: 'link', src: 'v2' });
    assert.equal(changed.outcome.message, 'link changed from v1 to v2');
    assert.equal(readlinkSync(p), 'v2');
    assert.deepEqual(await bench.undo(changed.undo!), { ok: true, message: 'link restored' });
    assert.equal(readlinkSync(p), 'v1');
    assert.deepEqual(await bench.undo(made.undo!), { ok: true, message: 'link removed' });
    assert.equal(present(p), false);
  });

  test('a link changed since is left alone unless forced (then kept aside)', async () => {
    const p = bench.at('current');
    const { undo } = await run({ path: p, state: 'link', src: 'v1' });
    rmSync(p);
    symlinkSync('other', p);
    const refused = await bench.undo(undo!);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /changed since kplay made it a link to v1/);
    assert.equal(readlinkSync(p), 'other');
    const forced = await bench.undo(undo!, true);
    assert.equal(forced.ok, true);
    assert.match(forced.message, /kept in /);
    assert.equal(present(p), false);
    const kept = readdirSync(bench.backups).find((f) => f.endsWith('.changed'));
    assert.equal(readlinkSync(`${bench.backups}/${kept}`), 'other', 'the changed link is kept');
  });

  test('a file in the way is refused; mode on a link is refused', async () => {
    writeFileSync(bench.at('f'), 'x');
    await assert.rejects(file.execute!(bench.ctx(), { path: bench.at('f'), state: 'link', src: 'x' }), /exists and is not a link/);
    assert.throws(() => decide(undefined, { path: 'l', state: 'link', src: 'x', mode: '0644' }), /mode does not apply to a symbolic link/);
  });
});

describe('check() looks and changes nothing', () => {
  test('each state says what it would do', async () => {
    const f = bench.at('f');
    writeFileSync(f, 'text\n');
    chmodSync(f, 0o644);
    const c = (a: File) => file.check!(bench.ctx(), a);
    assert.deepEqual(await c({ path: bench.at('d/e'), state: 'directory' }), {
      status: 'changed',
      message: `would change ${bench.at('d/e')}: folder created`,
      diffs: [{ path: bench.at('d/e'), before: null, after: null, note: 'folder created' }],
    });
    assert.equal((await c({ path: f, state: 'absent' })).diffs?.[0]?.before, 'text\n');
    assert.equal((await c({ path: bench.at('t'), state: 'touch' })).diffs?.[0]?.after, '');
    assert.match((await c({ path: f, mode: '0600' })).message, /mode 644 -> 600/);
    assert.equal((await c({ path: f, mode: '0644' })).status, 'ok');
    assert.equal((await c({ path: bench.at('l'), state: 'link', src: 'f' })).status, 'changed');
    assert.deepEqual(readdirSync(bench.dir).sort(), ['f'], 'nothing was created');
    assert.equal(mode(f), 0o644);
    assert.equal(readFileSync(f, 'utf8'), 'text\n');
  });
});
