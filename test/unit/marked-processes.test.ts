// The one lookup of processes by a mark in their environment serves the timeout kill of every
// task and the undo of dlv (stop_marked, tested in undo-scripts.test.ts). Here: a task that runs
// out of time on the controller loses every process it started, even one it sent to the background.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalConnection } from '../../src/connection/local.js';

const conn = new LocalConnection();
after(() => conn.close());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a timed-out task is killed with what it started in the background', async () => {
  let background = 0;
  const t0 = performance.now();
  const r = await conn.run('sleep 30 >/dev/null 2>&1 & echo $!; sleep 30', {
    timeoutMs: 500,
    onOutput: (_s, chunk) => (background ||= Number(chunk.toString().trim())),
  });
  assert.equal(r.timedOut, true);
  assert.ok(performance.now() - t0 < 10_000, 'the task ended long before its sleep would have');
  assert.ok(background > 0, `the task printed its background pid (${r.stdout.toString()})`);
  for (let i = 0; i < 50 && alive(background); i++) await sleep(100);
  assert.equal(alive(background), false, 'the background sleep was killed too');
  // The session is still usable afterwards.
  assert.equal((await conn.run('echo ok', { timeoutMs: 5000 })).stdout.toString(), 'ok\n');
});
