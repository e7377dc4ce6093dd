import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputProgress } from '../../src/report/output-progress.js';

/** An OutputProgress on a clock the test moves; returns what it reported. */
function watch() {
  const shown: string[] = [];
  let t = 0;
  const p = new OutputProgress((m) => shown.push(m), () => t, 1000);
  return { shown, push: (stream: 'stdout' | 'stderr', text: string, after = 1000) => ((t += after), p.push(stream, Buffer.from(text))) };
}

test('a partial stdout line is not glued to a stderr line that arrives meanwhile', () => {
  const w = watch();
  w.push('stdout', 'Building go targets for ');
  w.push('stderr', '/tree/_output/local/bin/linux/amd64\n');
  w.push('stdout', 'linux/amd64\n');
  assert.deepEqual(w.shown, ['/tree/_output/local/bin/linux/amd64', 'Building go targets for linux/amd64']);
});

test('the latest non-empty line, at most once per interval, never the same one twice', () => {
  const w = watch();
  w.push('stdout', 'one\n\n');
  w.push('stdout', 'two\n', 10);
  w.push('stdout', 'three\n', 10);
  w.push('stdout', '\n', 1000);
  w.push('stdout', 'three\n', 1000);
  assert.deepEqual(w.shown, ['one', 'three']);
});

test('a UTF-8 character split across chunks arrives whole', () => {
  const shown: string[] = [];
  let t = 0;
  const p = new OutputProgress((m) => shown.push(m), () => (t += 1000), 1000);
  const bytes = Buffer.from('Größe ✓\n');
  p.push('stdout', bytes.subarray(0, 3));
  p.push('stdout', bytes.subarray(3));
  assert.deepEqual(shown, ['Größe ✓']);
});
