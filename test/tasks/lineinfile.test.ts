// lineinfile on this machine (LocalConnection, a temporary folder, no root): each state, that a
// second run changes nothing, the undo putting the file's bytes and mode back, the undo refusing
// a file changed since, and check() reporting without touching the file.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, beforeEach, describe, test } from 'node:test';
import type { LineinfileArgs } from '../../src/tasks/lineinfile.js';
import { lineinfile } from '../../src/tasks/lineinfile.js';
import { KindBench } from '../helpers/kind-context.js';

let bench: KindBench;
beforeEach(async () => {
  await bench?.close();
  bench = new KindBench();
});
after(() => bench.close());

const CONF = 'listen=127.0.0.1\n# port=80\nport=8080\nlog=info\n';

function conf(mode = 0o640): string {
  const p = bench.at('app.conf');
  writeFileSync(p, CONF);
  chmodSync(p, mode);
  return p;
}

function text(p: string): string | undefined {
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

/** Runs the task as the engine does: the undo prepared first, then the change. */
async function run(a: LineinfileArgs) {
  const undo = await lineinfile.prepareUndo!(bench.undoCtx(), a);
  const outcome = await lineinfile.execute!(bench.ctx(), a);
  return { undo, outcome };
}

describe('lineinfile: the change', () => {
  test('regexp: the last matching line is replaced, keeping the mode; a second run is ok', async () => {
    const p = conf();
    const { outcome } = await run({ path: p, regexp: '^port=', line: 'port=9090' });
    assert.deepEqual([outcome.status, outcome.message], ['changed', 'line replaced']);
    assert.equal(text(p), 'listen=127.0.0.1\n# port=80\nport=9090\nlog=info\n');
    assert.equal(statSync(p).mode & 0o777, 0o640, 'the file keeps its mode');
    const again = await run({ path: p, regexp: '^port=', line: 'port=9090' });
    assert.equal(again.outcome.status, 'ok');
    assert.equal(again.undo, undefined, 'nothing to change: nothing journaled');
  });

  test('insertafter / insertbefore, and the line at the end when nothing matches', async () => {
    const p = conf();
    await run({ path: p, line: 'bind=all', insertafter: '^listen=' });
    await run({ path: p, line: '# generated', insertbefore: 'BOF' });
    await run({ path: p, line: 'last=1', insertafter: '^nothing' });
    assert.equal(text(p), '# generated\nlisten=127.0.0.1\nbind=all\n# port=80\nport=8080\nlog=info\nlast=1\n');
  });

  test('state absent removes every matching line; again it is ok', async () => {
    const p = conf();
    const { outcome } = await run({ path: p, regexp: 'port=', state: 'absent' });
    assert.deepEqual([outcome.status, outcome.message], ['changed', '2 lines removed']);
    assert.equal(text(p), 'listen=127.0.0.1\nlog=info\n');
    assert.equal((await run({ path: p, regexp: 'port=', state: 'absent' })).outcome.status, 'ok');
  });

  test('a missing file fails unless create; created, its undo removes it', async () => {
    const p = bench.at('new.conf');
    await assert.rejects(lineinfile.execute!(bench.ctx(), { path: p, line: 'a=1' }), /new\.conf does not exist/);
    const { undo, outcome } = await run({ path: p, line: 'a=1', create: true, mode: '0600' });
    assert.equal(outcome.status, 'changed');
    assert.equal(text(p), 'a=1\n');
    assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.equal(undo?.kind, 'remove_file');
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'removed' });
    assert.equal(existsSync(p), false);
  });

  test('only the mode differs: the attributes change, the text does not', async () => {
    const p = conf(0o644);
    const { outcome } = await run({ path: p, regexp: '^port=', line: 'port=8080', mode: '0600' });
    assert.equal(outcome.status, 'changed');
    assert.match(outcome.message ?? '', /attributes changed \(mode 644 -> 600\)/);
    assert.equal(text(p), CONF);
  });

  test('a file that is not UTF-8 text is refused and left as it is', async () => {
    const p = bench.at('blob');
    const bytes = Buffer.from([0x61, 0xff, 0xfe, 0x0a]);
    writeFileSync(p, bytes);
    await assert.rejects(lineinfile.execute!(bench.ctx(), { path: p, line: 'x' }), /not UTF-8 text/);
    assert.deepEqual(readFileSync(p), bytes);
  });

  test('a regexp known only at run time that does not compile fails the task, naming it', async () => {
    const p = conf();
    await assert.rejects(lineinfile.execute!(bench.ctx(), { path: p, regexp: '(?P<x>a)', line: 'x' }), /regexp: .* is not a regular expression kplay can use: .*\(\?<name>/);
    assert.equal(text(p), CONF);
  });
});

describe('lineinfile: the undo', () => {
  test('puts the bytes and the mode back; a second time there is nothing to do', async () => {
    const p = conf(0o640);
    const { undo } = await run({ path: p, regexp: '^port=', line: 'port=1', mode: '0600' });
    assert.equal(undo?.kind, 'restore_backup');
    assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'restored' });
    assert.equal(text(p), CONF);
    assert.equal(statSync(p).mode & 0o777, 0o640);
    assert.deepEqual(await bench.undo(undo!), { ok: true, message: 'already restored' });
  });

  test('refuses when the file changed since kplay wrote it; --force keeps the changed file aside', async () => {
    const p = conf();
    const { undo } = await run({ path: p, regexp: '^port=', line: 'port=1' });
    writeFileSync(p, 'edited by someone\n');
    const refused = await bench.undo(undo!);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /changed since kplay wrote it .*--force/);
    assert.equal(text(p), 'edited by someone\n', 'left as it is');
    const forced = await bench.undo(undo!, true);
    assert.equal(forced.ok, true);
    assert.equal(text(p), CONF);
    const kept = readdirSync(bench.backups).filter((f) => f.endsWith('.changed'));
    assert.equal(kept.length, 1, 'the changed file is kept, not lost');
    assert.equal(text(`${bench.backups}/${kept[0]}`), 'edited by someone\n');
  });
});

describe('lineinfile: check() looks and changes nothing', () => {
  test('a change: the file before and after, the file untouched', async () => {
    const p = conf();
    const c = await lineinfile.check!(bench.ctx(), { path: p, regexp: '^port=', line: 'port=1' });
    assert.equal(c.status, 'changed');
    assert.match(c.message, /would change .*app\.conf: line replaced/);
    assert.deepEqual(c.diffs, [{ path: p, before: CONF, after: CONF.replace('port=8080', 'port=1') }]);
    assert.equal(text(p), CONF);
  });

  test('a file to create: before is null; a mode change is a note', async () => {
    const p = bench.at('new.conf');
    const c = await lineinfile.check!(bench.ctx(), { path: p, line: 'a', create: true });
    assert.deepEqual(c.diffs, [{ path: p, before: null, after: 'a\n' }]);
    assert.equal(existsSync(p), false);
    const q = conf(0o644);
    const m = await lineinfile.check!(bench.ctx(), { path: q, line: 'log=info', mode: '0600' });
    assert.equal(m.status, 'changed');
    assert.deepEqual(m.diffs?.[0]?.note, 'mode 644 -> 600');
  });

  test('nothing to do: ok', async () => {
    const p = conf();
    const c = await lineinfile.check!(bench.ctx(), { path: p, regexp: '^port=', line: 'port=8080' });
    assert.equal(c.status, 'ok');
    assert.equal(c.diffs, undefined);
  });
});
