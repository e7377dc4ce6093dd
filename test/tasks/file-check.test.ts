// What copy and template say under --check, on the controller's own connection and real files.
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { LocalConnection } from '../../src/connection/local.js';
import { copy } from '../../src/tasks/copy.js';
import { DIFF_MAX_BYTES, checkFileWrite } from '../../src/tasks/file-check.js';
import type { TaskContext } from '../../src/tasks/kind.js';
import { template } from '../../src/tasks/template.js';
import { tempDir } from '../helpers/local-run.js';

function context(conn: LocalConnection, baseDir: string): TaskContext {
  return { conn, become: false, timeoutMs: 10_000, baseDir, renderText: (t) => t.replaceAll('{{x}}', 'rendered'), progress: () => undefined, signal: new AbortController().signal };
}

async function withConn<T>(fn: (conn: LocalConnection) => Promise<T>): Promise<T> {
  const conn = new LocalConnection();
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

test('template check renders with the host variables and compares with the file there, which it leaves alone', async () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 't.tmpl'), 'a\nvalue: {{x}}\n');
  writeFileSync(path.join(dir, 'dest'), 'a\nvalue: old\n');
  const mtime = statSync(path.join(dir, 'dest')).mtimeMs;
  const c = await withConn((conn) => template.check!(context(conn, dir), { src: 't.tmpl', dest: path.join(dir, 'dest') }));
  assert.equal(c.status, 'changed');
  assert.deepEqual(c.diffs, [{ path: path.join(dir, 'dest'), before: 'a\nvalue: old\n', after: 'a\nvalue: rendered\n' }]);
  assert.equal(statSync(path.join(dir, 'dest')).mtimeMs, mtime);
});

test('copy check: the same content is ok, an owner to change is a note, a large file is compared without a diff', async () => {
  const dir = tempDir();
  const dest = path.join(dir, 'f');
  writeFileSync(dest, 'same');
  const me = userInfo().username;
  await withConn(async (conn) => {
    const ctx = context(conn, dir);
    assert.deepEqual(await copy.check!(ctx, { content: 'same', dest, owner: me }), { status: 'ok', message: 'already up to date' });
    const owner = await copy.check!(ctx, { content: 'same', dest, owner: 'nobody' });
    assert.equal(owner.status, 'changed');
    assert.equal(owner.message, `would change owner ${me} -> nobody of ${dest}`);
    const big = Buffer.alloc(DIFF_MAX_BYTES + 1, 'x');
    const large = await checkFileWrite(ctx, big, { dest });
    assert.equal(large.status, 'changed');
    assert.equal(large.diffs?.[0]?.note, `4 bytes -> ${big.length} bytes, too large to show a diff`);
  });
});

test('copy check of a src the controller cannot read fails with the path, as the copy would', async () => {
  const dir = tempDir();
  await withConn(async (conn) => {
    await assert.rejects(copy.check!(context(conn, dir), { src: 'missing.txt', dest: path.join(dir, 'x') }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'E_IO');
      assert.match(e.message, /cannot read missing\.txt on the controller/);
      return true;
    });
  });
});
