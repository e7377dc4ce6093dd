// The controller's own connection (used by `local: true` tasks), on real files and processes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { LocalConnection } from '../../src/connection/local.js';

test('fetchFile reads a /proc file to its end, though it reports a size of 0', async () => {
  const dest = path.join(mkdtempSync(path.join(tmpdir(), 'kplay-local-')), 'sub', 'meminfo');
  const conn = new LocalConnection();
  try {
    await conn.fetchFile('/proc/meminfo', dest);
  } finally {
    await conn.close();
  }
  assert.match(readFileSync(dest, 'utf8'), /^MemTotal:/m);
});
