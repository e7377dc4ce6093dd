// How the engine names what went wrong: the world's trouble is a failed task with a code; only
// JavaScript's own errors count as bugs in kplay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionLost, RemoteFileError } from '../../src/connection/types.js';
import type { Connection } from '../../src/connection/types.js';
import { KplayError } from '../../src/errors.js';
import { failureOf } from '../../src/executor/failure.js';
import { TaskFailed } from '../../src/tasks/kind.js';

const up = { lost: undefined } as Connection;
const dropped = { lost: 'the connection closed' } as Connection;

test('file trouble on a host or the controller is E_IO', () => {
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  assert.equal(failureOf(full, up, 'h1', 'writing').code, 'E_IO');
  const sftp = Object.assign(new Error('Failure'), { code: 4 });
  const f = failureOf(sftp, up, 'h1', 'uploading x');
  assert.equal(f.code, 'E_IO');
  assert.match(f.message, /uploading x: Failure \(SFTP status 4\)/);
  assert.equal(failureOf(new RemoteFileError('cannot read /etc: Is a directory'), up, 'h1', 'r').code, 'E_IO');
});

test("a task's own failure keeps its code and place", () => {
  const f = failureOf(new TaskFailed('bad', {}, { code: 'E_TEMPLATE', pos: { file: 't.hbs', line: 1, col: 7 } }), up, 'h1', 't');
  assert.deepEqual([f.code, f.message], ['E_TEMPLATE', 't.hbs:1:7: bad']);
  const k = failureOf(new KplayError('E_TEMPLATE', 'undefined variable "x"', { pos: { file: 'pb.yaml', line: 3, col: 9 } }), up, 'h1', 't');
  assert.equal(k.message, 'pb.yaml:3:9: undefined variable "x"');
  assert.equal(failureOf(new Error('something the world did'), up, 'h1', 't').code, 'E_TASK_FAILED');
});

test('after the connection dropped, any error is the network\'s', () => {
  const f = failureOf(new Error('channel closed'), dropped, 'h1', '"t"');
  assert.equal(f.code, 'E_UNREACHABLE');
  assert.ok(f.lost instanceof ConnectionLost);
  assert.equal(failureOf(new ConnectionLost('h1', 'gone'), up, 'h1', 't').lost?.message, 'gone');
});

test('JavaScript errors and non-errors are bugs', () => {
  for (const e of [new TypeError('x is undefined'), new RangeError('bad'), 'a string']) {
    const f = failureOf(e, up, 'h1', 't');
    assert.equal(f.code, 'E_INTERNAL');
    assert.ok(f.bug);
  }
});
