// The controller's own connection (used by `local: true` tasks), on real files and processes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { LocalConnection } from '../../src/connection/local.js';
import { processesMatching } from '../support/processes.js';

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

test('a timed-out task is killed with what it started under a cleared environment (as sudo clears it)', async () => {
  // A duration no other process has: sleep takes fractions.
  const duration = `300.${process.pid}${Date.now() % 1000}`;
  const conn = new LocalConnection();
  try {
    const r = await conn.run(`env -i sleep ${duration}`, { timeoutMs: 500 });
    assert.equal(r.timedOut, true);
  } finally {
    await conn.close();
  }
  let left = processesMatching(`sleep ${duration}`);
  for (let i = 0; i < 50 && left; i++) {
    await new Promise((res) => setTimeout(res, 100));
    left = processesMatching(`sleep ${duration}`);
  }
  assert.equal(left, '', 'the unmarked sleep is gone');
});
