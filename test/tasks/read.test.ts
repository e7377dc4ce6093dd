// The read kind on the controller's own connection and real files.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { LocalConnection } from '../../src/connection/local.js';
import type { TaskContext } from '../../src/tasks/kind.js';
import { read } from '../../src/tasks/read.js';
import { PlainReporter } from '../../src/report/plain-reporter.js';
import { writeTree } from '../helpers/files.js';
import { Capture, at } from '../report/scenario.js';

function context(conn: LocalConnection): TaskContext {
  return { conn, become: false, timeoutMs: 10_000, baseDir: '.', renderText: (t) => t, progress: () => undefined, signal: new AbortController().signal };
}

test('a cmdline read registers the arguments, and shows them as the command line, separated and quoted', async () => {
  const dir = writeTree({ cmdline: 'kube-apiserver\0--v=2\0--name=two words\0' });
  const conn = new LocalConnection();
  try {
    const r = await read.execute!(context(conn), { path: path.join(dir, 'cmdline'), format: 'cmdline' });
    assert.deepEqual(r.value, ['kube-apiserver', '--v=2', '--name=two words']);
    assert.equal(r.stdout, "kube-apiserver --v=2 '--name=two words'");
  } finally {
    await conn.close();
  }
});

test('verbose output with NUL-separated words shows them apart', async () => {
  const out = new Capture();
  const reporter = new PlainReporter({ out, verbose: true });
  const base = { host: 'h1', taskId: '1', name: 'args', kind: 'command' };
  reporter.onEvent({ type: 'task_start', time: at(0), ...base, preview: [] });
  reporter.onEvent({ type: 'task_end', time: at(10), ...base, status: 'ok', rc: 0, stdout: 'dlv\0exec\0/bin/x\0', attempts: 1, durationMs: 10 });
  await reporter.close();
  assert.match(out.text, /^h1 \|     dlv exec \/bin\/x$/m);
});
